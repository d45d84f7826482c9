using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace Scope.Nginx.Tests;

/// <summary>
/// HTTP clients as the tests need them: from a chosen loopback address (all of 127.0.0.0/8 is this
/// machine's, so 127.0.0.3 is "another client" to nginx and to the silos), trusting only the
/// development CA for https, never following redirects and keeping no cookies unless told to.
/// </summary>
public static class Clients
{
    public static HttpClient Create(Uri baseAddress, string? from = null, string? caFile = null) =>
        new(Handler(from, caFile)) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };

    public static SocketsHttpHandler Handler(string? from = null, string? caFile = null)
    {
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, UseCookies = false };
        if (from is not null)
        {
            var local = new IPEndPoint(IPAddress.Parse(from), 0);
            handler.ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    socket.Bind(local);
                    await socket.ConnectAsync(context.DnsEndPoint, ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }
        if (caFile is not null)
        {
            var ca = X509Certificate2.CreateFromPem(File.ReadAllText(caFile));
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
            {
                // The name was checked by the TLS stack; the chain is checked here against the development CA alone.
                if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
                    return false;
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            };
        }
        return handler;
    }
}
