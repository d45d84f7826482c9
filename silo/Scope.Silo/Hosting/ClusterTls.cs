using System.Security.Authentication;
using Orleans.Connections.Security;
using Scope.Abstractions.Security;

namespace Scope.Silo.Hosting;

/// <summary>
/// Mutual TLS between silos and for clients at the gateway, from Scope:Tls (PEM files). Without
/// Scope:Tls:CertFile the cluster runs in plain TCP, which is only fit for one host.
/// </summary>
internal static class ClusterTls
{
    public static ClusterTrust? FromConfiguration(IConfiguration config)
    {
        var section = config.GetSection("Scope:Tls");
        var cert = section["CertFile"];
        if (string.IsNullOrWhiteSpace(cert))
        {
            if (!string.IsNullOrWhiteSpace(section["CaFile"]) || !string.IsNullOrWhiteSpace(section["KeyFile"]))
                throw new ArgumentException("Scope:Tls:CertFile is required when Scope:Tls:CaFile or Scope:Tls:KeyFile is set");
            return null;
        }
        return ClusterTrust.Load(section["CaFile"] ?? "", cert, section["KeyFile"] ?? "");
    }

    /// <summary>Both sides present a certificate and each accepts only the cluster CA's.</summary>
    public static void Configure(TlsOptions t, ClusterTrust trust)
    {
        t.LocalCertificate = trust.Certificate;
        t.RemoteCertificateMode = RemoteCertificateMode.RequireCertificate;
        t.ClientCertificateMode = RemoteCertificateMode.RequireCertificate;
        t.RemoteCertificateValidation = (certificate, _, errors) => trust.Accepts(certificate, errors);
        t.SslProtocols = SslProtocols.Tls13;
        t.HandshakeTimeout = TimeSpan.FromSeconds(10);
    }
}
