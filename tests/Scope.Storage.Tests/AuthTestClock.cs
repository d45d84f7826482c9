namespace Scope.Storage.Tests;

/// <summary>A clock the auth tests move by hand, for lifetimes counted in days and windows in minutes.</summary>
public sealed class AuthTestClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
