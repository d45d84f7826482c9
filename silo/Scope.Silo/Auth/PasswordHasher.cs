using System.Security.Cryptography;
using System.Text;
using Konscious.Security.Cryptography;

namespace Scope.Silo.Auth;

/// <summary>
/// Argon2id password hashing (OWASP's minimum: 19 MiB, 2 iterations, 1 lane; 16-byte salt, 32-byte
/// hash), stored as a <see cref="PhcHash"/> string. Each hash takes ~19 MiB and 0.1 to 0.2 s of one
/// core (Konscious is managed code), so at most one per core runs at a time: a burst of logins
/// queues instead of exhausting memory.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    public const int MemoryKib = 19_456;
    public const int Iterations = 2;
    public const int Parallelism = 1;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    private readonly SemaphoreSlim _slots = new(Environment.ProcessorCount, Environment.ProcessorCount);
    private readonly Lazy<PhcHash> _dummy;

    public PasswordHasher()
    {
        _dummy = new Lazy<PhcHash>(() => Compute(RandomNumberGenerator.GetHexString(32), MemoryKib, Iterations, Parallelism,
            RandomNumberGenerator.GetBytes(SaltBytes), HashBytes));
    }

    public void Dispose() => _slots.Dispose();

    /// <summary>A PHC string for <paramref name="password"/> with a fresh random salt and today's parameters.</summary>
    public async Task<string> HashAsync(string password, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(password);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return Compute(password, MemoryKib, Iterations, Parallelism, RandomNumberGenerator.GetBytes(SaltBytes), HashBytes).Format();
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// True when <paramref name="password"/> matches <paramref name="stored"/>, hashed with the
    /// parameters the string names. A string that does not parse matches nothing.
    /// </summary>
    public async Task<bool> VerifyAsync(string password, string stored, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(password);
        // Argon2 refuses an empty password, and no stored hash is of one.
        if (password.Length == 0 || !PhcHash.TryParse(stored, out var phc))
            return false;
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var actual = Compute(password, phc.MemoryKib, phc.Iterations, phc.Parallelism, phc.Salt, phc.Hash.Length);
            return CryptographicOperations.FixedTimeEquals(actual.Hash, phc.Hash);
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>
    /// Spends what verifying a real hash spends, for a user that does not exist: otherwise the
    /// answer's speed would tell which usernames exist.
    /// </summary>
    public Task VerifyNobodyAsync(string password, CancellationToken cancellationToken) =>
        VerifyAsync(password, _dummy.Value.Format(), cancellationToken);

    /// <summary>True when <paramref name="stored"/> was made with weaker parameters than today's (it is rehashed at the next login).</summary>
    public static bool NeedsRehash(string stored) =>
        !PhcHash.TryParse(stored, out var phc)
        || phc.MemoryKib < MemoryKib || phc.Iterations < Iterations || phc.Parallelism < Parallelism
        || phc.Salt.Length < SaltBytes || phc.Hash.Length < HashBytes;

    private static PhcHash Compute(string password, int memoryKib, int iterations, int parallelism, byte[] salt, int hashBytes)
    {
        var bytes = Encoding.UTF8.GetBytes(password);
        try
        {
            using var argon = new Argon2id(bytes)
            {
                Salt = salt,
                MemorySize = memoryKib,
                Iterations = iterations,
                DegreeOfParallelism = parallelism,
            };
            return new PhcHash(memoryKib, iterations, parallelism, salt, argon.GetBytes(hashBytes));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }
}
