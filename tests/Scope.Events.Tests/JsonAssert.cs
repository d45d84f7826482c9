using System.Text.Json.Nodes;

namespace Scope.Events.Tests;

internal static class JsonAssert
{
    /// <summary>Same values (JsonNode.DeepEquals) and, unlike DeepEquals, the same key order at every level.</summary>
    public static void Same(JsonNode? expected, JsonNode? actual, string path = "$")
    {
        Assert.True(JsonNode.DeepEquals(expected, actual), $"{path}: expected {expected?.ToJsonString()} but got {actual?.ToJsonString()}");
        switch (expected)
        {
            case JsonObject e:
                var a = Assert.IsType<JsonObject>(actual);
                Assert.Equal(e.Select(p => p.Key), a.Select(p => p.Key));
                foreach (var (key, value) in e)
                {
                    Same(value, a[key], $"{path}.{key}");
                }

                break;
            case JsonArray e:
                var arr = Assert.IsType<JsonArray>(actual);
                Assert.Equal(e.Count, arr.Count);
                for (int i = 0; i < e.Count; i++)
                {
                    Same(e[i], arr[i], $"{path}[{i}]");
                }

                break;
        }
    }
}
