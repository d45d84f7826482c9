using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Scope.Abstractions.Security;

/// <summary>
/// Mutual TLS for the cluster, shared by silos and clients: this party's certificate, and the one
/// private CA whose certificates it accepts. Silos are reached at the addresses the membership table
/// gives, so names are not checked; a peer is trusted because its certificate chains to this CA (and
/// never to the system's CAs) and is meant for TLS in both directions.
/// </summary>
public sealed class ClusterTrust : IDisposable
{
    /// <summary>TLS Web Server Authentication.</summary>
    public const string ServerAuthOid = "1.3.6.1.5.5.7.3.1";

    /// <summary>TLS Web Client Authentication.</summary>
    public const string ClientAuthOid = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _authorities;

    private ClusterTrust(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        _authorities = authorities;
    }

    /// <summary>This party's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The CAs whose certificates are accepted.</summary>
    public IReadOnlyList<X509Certificate2> Authorities => [.. _authorities];

    /// <summary>
    /// Loads PEM files; every problem is an <see cref="ArgumentException"/> naming the file and the setting
    /// it came from (<paramref name="caName"/>, <paramref name="certName"/>, <paramref name="keyName"/>).
    /// </summary>
    public static ClusterTrust Load(string caFile, string certFile, string keyFile,
        string caName = "Scope:Tls:CaFile", string certName = "Scope:Tls:CertFile", string keyName = "Scope:Tls:KeyFile")
    {
        Require(caFile, caName);
        Require(certFile, certName);
        Require(keyFile, keyName);
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPemFile(caFile);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"{caName} {caFile} holds no readable PEM certificate: {e.Message}", e);
        }
        if (authorities.Count == 0)
            throw new ArgumentException($"{caName} {caFile} holds no PEM certificate");
        X509Certificate2 certificate;
        try
        {
            certificate = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"{certName} {certFile} with {keyName} {keyFile}: not a certificate and its private key in PEM: {e.Message}", e);
        }
        var trust = new ClusterTrust(certificate, authorities);
        // A party that would refuse its own certificate would be refused by every peer: say so now.
        if (trust.Check(certificate) is { } reason)
        {
            trust.Dispose();
            throw new ArgumentException($"{certName} {certFile}: {reason}");
        }
        return trust;
    }

    /// <summary>The validation TLS runs on a peer's certificate; the platform's own verdict is not used.</summary>
    public bool Accepts(X509Certificate? remote, SslPolicyErrors ignoredPlatformVerdict) =>
        remote is not null && Check(remote as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(remote.GetRawCertData())) is null;

    /// <summary>Null when the certificate is acceptable; otherwise why not.</summary>
    public string? Check(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ServerAuthOid));
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid(ClientAuthOid));
        if (chain.Build(certificate))
            return null;
        var problems = chain.ChainStatus.Select(s => s.StatusInformation.Trim()).Where(s => s.Length > 0).Distinct();
        return $"certificate '{certificate.Subject}' is not trusted: {string.Join("; ", problems)} " +
               "(it must chain to the cluster CA and allow both serverAuth and clientAuth)";
    }

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var c in _authorities)
            c.Dispose();
    }

    private static void Require(string path, string setting)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"{setting} is required for TLS");
        if (!File.Exists(path))
            throw new ArgumentException($"{setting}: {path} does not exist");
    }
}
