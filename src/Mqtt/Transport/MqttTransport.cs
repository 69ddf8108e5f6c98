using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.Mqtt.Transport;

/// <summary>Opens the byte stream to the broker: TCP, optionally wrapped in TLS.</summary>
internal static class MqttTransport
{
    public static async Task<Stream> ConnectAsync(MqttClientOptions options, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(options.Host, options.Port, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new MqttConnectionException(MqttConnectionError.TransportFailed, $"Cannot reach the MQTT broker: {ex.SocketErrorCode}.", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var network = new NetworkStream(socket, ownsSocket: true);
        if (options.Tls is not { } tls)
        {
            return network;
        }
        var ssl = new SslStream(network, leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsClientAsync(CreateAuthentication(options, tls), cancellationToken).ConfigureAwait(false);
            return ssl;
        }
        catch (Exception ex) when (ex is System.Security.Authentication.AuthenticationException or IOException)
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw new MqttConnectionException(MqttConnectionError.TlsFailed, "TLS handshake with the MQTT broker failed: " + ex.Message, ex);
        }
        catch
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static SslClientAuthenticationOptions CreateAuthentication(MqttClientOptions options, MqttTlsOptions tls)
    {
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = tls.TargetHost ?? options.Host,
            EnabledSslProtocols = tls.Protocols,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) => Validate(tls, certificate, errors),
        };
        if (tls.ClientCertificate is { } client)
        {
            // The context carries the certificate for every handshake without a store lookup per connection.
            authentication.ClientCertificateContext = SslStreamCertificateContext.Create(client, additionalCertificates: null, offline: true);
        }
        return authentication;
    }

    private static bool Validate(MqttTlsOptions tls, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return false;
        }
        if (tls.VerifyHostname && errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
        {
            return false;
        }
        if (tls.TrustedCa is null)
        {
            return (errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None;
        }
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(tls.TrustedCa);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        using var server = new X509Certificate2(certificate);
        return chain.Build(server);
    }
}
