namespace Scope.Events.Tests;

/// <summary>The embedded copy of bpf/syscalls_x86_64.tsv and its parser.</summary>
public sealed class SyscallTableTests
{
    private static readonly SyscallTable s_table = SyscallTable.Default;

    [Fact]
    public void Numbers_and_names()
    {
        Assert.Equal(257, s_table.Number("openat"));
        Assert.Equal(326, s_table.Number("copy_file_range"));
        Assert.Equal(0, s_table.Number("read"));
        Assert.Equal(-1, s_table.Number("no_such_call"));
        Assert.Equal("write", s_table.Name(1));
        Assert.Equal("read", s_table.Name(0));
        Assert.Equal("exit_group", s_table.Name(231));
        Assert.Equal("sys_999", s_table.Name(999));
        Assert.Equal("sys_4294967295", s_table.Name(uint.MaxValue));
        Assert.False(s_table.TryGetName(999, out _));
    }

    [Fact]
    public void Args_of_read()
    {
        IReadOnlyList<SyscallArg> args = s_table.Args(0);
        Assert.Equal(["fd", "count", "bytes"], args.Select(a => a.Name));
        Assert.Equal(new SyscallArg("fd", SyscallArgSource.Register, 0, SyscallArgFormat.SignedDecimal), args[0]);
        Assert.Equal(new SyscallArg("count", SyscallArgSource.Register, 2, SyscallArgFormat.UnsignedDecimal), args[1]);
        Assert.Equal(SyscallArgSource.Return, args[2].Source);
    }

    [Fact]
    public void Args_of_openat_and_the_unspecified()
    {
        Assert.Equal(["dfd", "path", "flags", "mode", "fd"], s_table.Args(257).Select(a => a.Name));
        Assert.Equal(SyscallArgSource.Data, s_table.Args(257)[1].Source);
        Assert.Equal(SyscallArgFormat.Hex, s_table.Args(257)[2].Format);
        Assert.Equal(SyscallArgFormat.Octal, s_table.Args(257)[3].Format);
        Assert.Empty(s_table.Args(4));    // stat: named, no spec
        Assert.Empty(s_table.Args(999));  // unknown
    }

    [Fact]
    public void Every_line_of_the_file_is_in_the_table()
    {
        string path = Path.Combine(Golden.RepoRoot, "bpf", "syscalls_x86_64.tsv");
        int lines = 0;
        foreach (string line in File.ReadLines(path).Where(l => l.Length > 0 && l[0] != '#'))
        {
            string[] cols = line.Split('\t');
            uint nr = uint.Parse(cols[0], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(cols[1], s_table.Name(nr));
            Assert.Equal((int)nr, s_table.Number(cols[1]));
            Assert.Equal(cols[3] == "-" ? 0 : cols[3].Split(',').Length, s_table.Args(nr).Count);
            lines++;
        }

        Assert.True(lines > 300);
    }

    [Theory]
    [InlineData("1\tx\t-\tfd")]
    [InlineData("1\tx\t-\tfd=6:d")]
    [InlineData("1\tx\t-\tfd=0:q")]
    [InlineData("1\tx\t-\tfd=0")]
    [InlineData("1\tx\t-\t=0:d")]
    [InlineData("1\tx\t-\tsixteen_chars_xx=0:d")]
    [InlineData("1\tx\t-\ta=ret,,b=ret")]
    [InlineData("1\tx\t-\ta=0:d,b=0:d,c=0:d,d=0:d,e=0:d,f=0:d,g=0:d,h=0:d,i=0:d")]
    [InlineData("one\tx\t-\t-")]
    [InlineData("1")]
    public void Malformed_lines_are_refused(string line)
    {
        Assert.Throws<InvalidDataException>(() => SyscallTable.Parse(new StringReader(line)));
    }

    [Fact]
    public void A_small_table_parses_like_the_C_one()
    {
        var table = SyscallTable.Parse(new StringReader(
            "# comment\n\n7\tseven\t-\ta=ret\n7\tsept\t-\t-\n600\thigh\t-\tx=0:u\n8\tfifteen_chars_x\t-\tfifteen_chars_x=1:o\n9\tnine\t-\ta=ret,\n10\tten\n"));
        Assert.Equal("sept", table.Name(7));         // a later line wins by number
        Assert.Equal(7, table.Number("seven"));      // names still resolve
        Assert.Empty(table.Args(7));
        Assert.Equal("sys_600", table.Name(600));    // numbers past SCOPE_SYSCALL_MAX are not named
        Assert.Equal(600, table.Number("high"));
        Assert.Equal(SyscallArgFormat.Octal, table.Args(8)[0].Format);
        Assert.Equal(1, table.Args(8)[0].Register);
        Assert.Single(table.Args(9));                // a trailing comma ends the list
        Assert.Empty(table.Args(10));                // no args column: no spec
    }
}
