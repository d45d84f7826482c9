using Microsoft.Extensions.Options;

namespace Scope.Silo.Auth;

/// <summary>
/// Counts failed logins per username and per client address over a sliding minute; once either has
/// <see cref="AuthOptions.LoginFailuresPerMinute"/> failures, further attempts are refused until the
/// oldest one leaves the window. In memory, per silo: with several core silos behind a balancer, an
/// attacker gets that many tries per silo (docs/auth.md).
/// </summary>
public sealed class LoginRateLimiter
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    // Bound on the keys held between sweeps, so that a spray of usernames cannot grow memory freely:
    // past it, the oldest failures are forgotten first.
    private const int MaxKeys = 100_000;

    private readonly Dictionary<string, Queue<DateTimeOffset>> _failures = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly int _limit;
    private DateTimeOffset _lastSweep;

    public LoginRateLimiter(IOptions<AuthOptions> options, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _limit = options.Value.LoginFailuresPerMinute;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Zero when a login for <paramref name="username"/> from <paramref name="address"/> may be tried;
    /// otherwise how long until it may (for Retry-After).
    /// </summary>
    public TimeSpan RetryAfter(string username, string address)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
            return Max(Wait(UserKey(username), now), Wait(AddressKey(address), now));
    }

    public void RecordFailure(string username, string address)
    {
        var now = _time.GetUtcNow();
        lock (_lock)
        {
            Sweep(now);
            Add(UserKey(username), now);
            Add(AddressKey(address), now);
        }
    }

    /// <summary>
    /// The user proved the password, so its username's failures are forgiven; the address's are
    /// not, or one valid account would reset an attacker's budget for guessing the others.
    /// </summary>
    public void RecordSuccess(string username)
    {
        lock (_lock)
            _failures.Remove(UserKey(username));
    }

    private static string UserKey(string username) => "u:" + username.ToLowerInvariant();

    private static string AddressKey(string address) => "a:" + address;

    private TimeSpan Wait(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var times))
            return TimeSpan.Zero;
        Trim(times, now);
        if (times.Count < _limit)
            return TimeSpan.Zero;
        // Free again when enough failures have left the window to bring the count below the limit.
        var freeAt = times.ElementAt(times.Count - _limit) + Window;
        return freeAt > now ? freeAt - now : TimeSpan.Zero;
    }

    private void Add(string key, DateTimeOffset now)
    {
        if (!_failures.TryGetValue(key, out var times))
            _failures[key] = times = new Queue<DateTimeOffset>();
        times.Enqueue(now);
        // More than the limit is never needed to decide, and keeps each queue small.
        while (times.Count > _limit)
            times.Dequeue();
    }

    private static void Trim(Queue<DateTimeOffset> times, DateTimeOffset now)
    {
        while (times.Count > 0 && times.Peek() + Window <= now)
            times.Dequeue();
    }

    /// <summary>At most once a window, and whenever the table is too big: forgets keys with no failure left in the window.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now - _lastSweep < Window && _failures.Count < MaxKeys)
            return;
        _lastSweep = now;
        foreach (var (key, times) in _failures)
        {
            Trim(times, now);
            if (times.Count == 0)
                _failures.Remove(key);
        }
        if (_failures.Count >= MaxKeys)
        {
            // Still full of live keys (a spray): drop the half whose latest failure is oldest.
            foreach (var key in _failures.OrderBy(f => f.Value.Last()).Take(_failures.Count / 2).Select(f => f.Key).ToList())
                _failures.Remove(key);
        }
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
