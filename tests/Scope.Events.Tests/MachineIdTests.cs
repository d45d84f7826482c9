using System.Security.Cryptography;
using System.Text;

namespace Scope.Events.Tests;

public sealed class MachineIdTests
{
    [Fact]
    public void Protect_is_the_truncated_hmac_of_scope_under_the_raw_id()
    {
        const string raw = "5f1e3c2b9a8d4e6f7a8b9c0d1e2f3a4b";
        using var hmac = new HMACSHA256(Encoding.UTF8.GetBytes(raw));
        string expected = Convert.ToHexString(hmac.ComputeHash(Encoding.UTF8.GetBytes("scope")))[..32].ToLowerInvariant();

        string id = MachineId.Protect(raw);
        Assert.Equal(expected, id);
        Assert.Equal(32, id.Length);
        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.NotEqual(raw, id);
        Assert.Equal(id, MachineId.Protect(raw + "\n"));
        Assert.Equal(id, MachineId.Protect(" \t" + raw + " \r\n"));
        Assert.NotEqual(id, MachineId.Protect(raw.ToUpperInvariant()));
    }

    [Fact]
    public void Protect_agrees_with_the_collector()
    {
        // collector-native/tests/test_frame.c checks the same pair against scope_machine_id_protect.
        Assert.Equal("943c54ce96ae6a17395f84b7ced8812f", MachineId.Protect("0123456789abcdef0123456789abcdef\n"));
    }

    [Fact]
    public void An_empty_id_is_refused()
    {
        Assert.Throws<ArgumentException>(() => MachineId.Protect(""));
        Assert.Throws<ArgumentException>(() => MachineId.Protect("  \n"));
    }

    [Fact]
    public void From_file_reads_the_first_line()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "0123456789abcdef0123456789abcdef\n");
            Assert.Equal("943c54ce96ae6a17395f84b7ced8812f", MachineId.FromFile(path));
            File.WriteAllText(path, "\n");
            Assert.Throws<InvalidDataException>(() => MachineId.FromFile(path));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
