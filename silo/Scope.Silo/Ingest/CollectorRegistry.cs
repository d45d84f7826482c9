using System.Collections.Concurrent;
using System.Security.Cryptography;
using Scope.Events;

namespace Scope.Silo.Ingest;

/// <summary>
/// The collectors this silo started, with the secret each was handed. A batch is accepted only from
/// a registered collector, for its machine, under its secret: no other local process can inject events.
/// </summary>
public sealed class CollectorRegistry
{
    public sealed class Entry(string id, string machineId, byte[] secret)
    {
        private readonly long[] _rejected = new long[RejectReasons.All.Length];

        public string Id { get; } = id;
        public string MachineId { get; } = machineId;
        /// <summary>Used by the ingest loop only (one thread): HMAC state is not thread-safe.</summary>
        internal BatchAuthenticator Authenticator { get; } = new(secret);
        public bool Ready { get; set; }
        public bool External { get; init; }
        public bool Running { get; set; }
        public int? LastExitCode { get; set; }

        public long Rejected => _rejected.Sum(r => Interlocked.Read(ref r));
        public IReadOnlyDictionary<string, long> RejectedByReason =>
            RejectReasons.All.Where(r => _rejected[(int)r] > 0).ToDictionary(r => r.Name(), r => Interlocked.Read(ref _rejected[(int)r]));

        internal void CountRejected(RejectReason reason) => Interlocked.Increment(ref _rejected[(int)reason]);
    }

    private readonly ConcurrentDictionary<string, Entry> _byId = new(StringComparer.Ordinal);

    /// <summary>Registers a collector about to be started, with a fresh random secret (hex, for its environment).</summary>
    public (Entry Entry, string SecretHex) Register(string collectorId, string machineId)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var entry = new Entry(collectorId, machineId, secret);
        // A replaced entry is left to the collector: the ingest thread may be using it right now.
        _byId[collectorId] = entry;
        return (entry, Convert.ToHexStringLower(secret));
    }

    /// <summary>Registers a sender started elsewhere, under the secret it was given (hex).</summary>
    public Entry RegisterExternal(string collectorId, string machineId, string secretHex)
    {
        byte[] secret;
        try
        {
            secret = Convert.FromHexString(secretHex.Trim());
        }
        catch (FormatException)
        {
            throw new ArgumentException($"the secret of collector '{collectorId}' is not hex");
        }
        if (secret.Length is < 16 or > 64)
            throw new ArgumentException($"the secret of collector '{collectorId}' must be 16 to 64 bytes");
        var entry = new Entry(collectorId, machineId, secret) { Running = true, Ready = true, External = true };
        _byId[collectorId] = entry;
        return entry;
    }

    public bool TryGet(string collectorId, out Entry entry) => _byId.TryGetValue(collectorId, out entry!);

    public IReadOnlyCollection<Entry> All => [.. _byId.Values];

    /// <summary>Collectors this silo started and supervises (external senders excluded).</summary>
    public IReadOnlyCollection<Entry> Supervised => [.. _byId.Values.Where(e => !e.External)];
}
