using System.Globalization;
using System.Text;

namespace Scope.Timeline.Tests;

/// <summary>One field of protoc's text format: a scalar with its value, or a message with its fields.</summary>
internal sealed class ProtoText
{
    public ProtoText(string name, string? value)
    {
        Name = name;
        Value = value;
    }

    public string Name { get; }

    /// <summary>The scalar's value, strings unquoted and unescaped; null for a message.</summary>
    public string? Value { get; }

    public List<ProtoText> Fields { get; } = [];

    public IEnumerable<ProtoText> All(string name) => Fields.Where(f => f.Name == name);

    public ProtoText? One(string name) => Fields.SingleOrDefault(f => f.Name == name);

    public string? Text(string name) => One(name)?.Value;

    public ulong? UInt(string name) => One(name)?.Value is string v ? ulong.Parse(v, CultureInfo.InvariantCulture) : null;

    public long? Int(string name) => One(name)?.Value is string v ? long.Parse(v, CultureInfo.InvariantCulture) : null;

    /// <summary>Parses protoc's output; refuses a field protoc could not name (a number), since the schema must cover every byte.</summary>
    public static ProtoText Parse(string text)
    {
        var root = new ProtoText("", null);
        var stack = new Stack<ProtoText>();
        stack.Push(root);
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0)
                continue;
            if (line == "}")
            {
                stack.Pop();
                continue;
            }

            ProtoText field;
            if (line.EndsWith('{'))
            {
                field = new ProtoText(line[..^1].Trim(), null);
                stack.Peek().Fields.Add(field);
                stack.Push(field);
            }
            else
            {
                int colon = line.IndexOf(':', StringComparison.Ordinal);
                string value = line[(colon + 1)..].Trim();
                field = new ProtoText(line[..colon], value.StartsWith('"') ? Unquote(value) : value);
                stack.Peek().Fields.Add(field);
            }

            Assert.False(char.IsAsciiDigit(field.Name[0]), $"protoc found a field the schema does not name: {line}");
        }

        Assert.Single(stack);
        return root;
    }

    // C escapes as protoc writes them: \n \t \" \' \\, octal \ooo and hex \xhh bytes; the bytes are UTF-8.
    private static string Unquote(string quoted)
    {
        var bytes = new List<byte>();
        for (int i = 1; i < quoted.Length - 1; i++)
        {
            char c = quoted[i];
            if (c != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }

            char e = quoted[++i];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'x':
                    bytes.Add(Convert.ToByte(quoted.Substring(i + 1, 2), 16));
                    i += 2;
                    break;
                case >= '0' and <= '7':
                    bytes.Add(Convert.ToByte(quoted.Substring(i, 3), 8));
                    i += 2;
                    break;
                default: bytes.Add((byte)e); break;
            }
        }

        return Encoding.UTF8.GetString([.. bytes]);
    }
}
