using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using PatientStream.Consent.Ca;

namespace PatientStream.Host.Demo;

/// <summary>Files of the demo's Mosquitto: its configuration and the certificates the edge agent connects with.</summary>
internal sealed record BrokerFiles(int Port, string Config, string SiteCaPem, string EdgeCertPem, string EdgeKeyPem, string EdgeClientId);

/// <summary>
/// The site broker of the demo: Mosquitto on a loopback port with TLS only, client certificates required and their CN
/// taken as the user name. The broker's server certificate comes from a site CA made here; clients are trusted when
/// they chain to the server's device CA (devices get their operational certificates from it at enrollment, the edge
/// agent gets its own here). The ACL lets a device publish only below its own topic and the edge agent read readings.
/// </summary>
internal static class DemoBroker
{
    public const string EdgeClientId = "edge-demo";
    public const string SharedGroup = "edge";
    public const string TlsName = "localhost";

    /// <summary>ACL with CN as user name: devices write their readings and status only; the agent reads readings.</summary>
    public static string Acl(string edgeUser) => $"""
        # A device (CN = device id) may publish only its own readings, and its own status (retained, and its last will).
        pattern write ps/v1/devices/%u/readings
        pattern write ps/v1/devices/%u/status
        # The edge agent reads every device's readings through its shared subscription.
        user {edgeUser}
        topic read ps/v1/devices/+/readings
        topic read $share/{SharedGroup}/ps/v1/devices/+/readings
        """;

    /// <summary>Creates the device CA (as serve would), the site CA, the broker and edge certificates, and mosquitto.conf.</summary>
    public static BrokerFiles Prepare(DemoLayout layout)
    {
        ArgumentNullException.ThrowIfNull(layout);
        var folder = layout.Broker;
        var port = DemoLayout.FreePort();

        // The device CA is opened once here, before serve starts, so Mosquitto and the edge certificate can use it.
        string deviceCaPem;
        string crlPath;
        string edgeCertPem;
        using var edgeKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using (var deviceCa = DeviceCa.Open(new DeviceCaOptions { DataDirectory = layout.DeviceCa }, TimeProvider.System))
        {
            var csr = new CertificateRequest($"CN={EdgeClientId}", edgeKey, HashAlgorithmName.SHA256).CreateSigningRequestPem();
            edgeCertPem = deviceCa.Issue(EdgeClientId, csr).CertificatePem;
            deviceCaPem = deviceCa.Options.CaCertificatePath;
            crlPath = deviceCa.Options.CrlPath;
        }

        using var siteKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var siteRequest = new CertificateRequest("CN=PatientStream Demo Site CA", siteKey, HashAlgorithmName.SHA256);
        siteRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        siteRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        siteRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(siteRequest.PublicKey, false));
        using var siteCa = siteRequest.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1));

        using var brokerKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var brokerRequest = new CertificateRequest($"CN={TlsName}", brokerKey, HashAlgorithmName.SHA256);
        brokerRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        brokerRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        brokerRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        brokerRequest.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(siteCa, true, false));
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(TlsName);
        san.AddIpAddress(IPAddress.Loopback);
        brokerRequest.CertificateExtensions.Add(san.Build());
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        using var brokerCert = brokerRequest.Create(siteCa, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), serial);

        var files = new BrokerFiles(port, Path.Combine(folder, "mosquitto.conf"), Path.Combine(folder, "site-ca.crt.pem"),
            Path.Combine(folder, "edge.crt.pem"), Path.Combine(folder, "edge.key.pem"), EdgeClientId);
        File.WriteAllText(files.SiteCaPem, siteCa.ExportCertificatePem());
        File.WriteAllText(Path.Combine(folder, "broker.crt.pem"), brokerCert.ExportCertificatePem());
        WritePrivate(Path.Combine(folder, "broker.key.pem"), brokerKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(files.EdgeCertPem, edgeCertPem);
        WritePrivate(files.EdgeKeyPem, edgeKey.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(Path.Combine(folder, "acl"), Acl(EdgeClientId) + "\n");
        File.WriteAllText(files.Config, Config(folder, port, deviceCaPem, File.Exists(crlPath) ? crlPath : null));
        return files;
    }

    private static string Config(string folder, int port, string clientCa, string? crl)
    {
        var config = new StringBuilder();
        config.AppendLine("per_listener_settings true");
        if (Environment.UserName == "root")
        {
            // Mosquitto drops root to the "mosquitto" user, which cannot read a data folder owned by root.
            config.AppendLine("user root");
        }
        // Persistent sessions: the edge agent's unacknowledged messages survive its crash (and a broker restart).
        config.AppendLine("persistence true");
        config.AppendLine($"persistence_location {folder}/");
        config.AppendLine("autosave_interval 5");
        config.AppendLine("max_queued_messages 0");
        config.AppendLine("log_dest stdout");
        config.AppendLine("log_type error");
        config.AppendLine("log_type warning");
        config.AppendLine("log_type notice");
        config.AppendLine("connection_messages true");
        config.AppendLine($"listener {port} 127.0.0.1");
        config.AppendLine($"cafile {clientCa}");
        config.AppendLine($"certfile {Path.Combine(folder, "broker.crt.pem")}");
        config.AppendLine($"keyfile {Path.Combine(folder, "broker.key.pem")}");
        if (crl is not null)
        {
            config.AppendLine($"crlfile {crl}");
        }
        config.AppendLine("require_certificate true");
        config.AppendLine("use_identity_as_username true");
        config.AppendLine("allow_anonymous false");
        config.AppendLine($"acl_file {Path.Combine(folder, "acl")}");
        return config.ToString();
    }

    private static void WritePrivate(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
