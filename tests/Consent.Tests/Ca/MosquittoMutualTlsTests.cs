using PatientStream.Consent.Ca;
using PatientStream.Consent.Tests.Fixtures;

namespace PatientStream.Consent.Tests.Ca;

/// <summary>The real broker accepts what the device CA issues and refuses what it revoked.</summary>
public sealed class MosquittoMutualTlsTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Mosquitto_accepts_an_issued_certificate_and_refuses_a_revoked_one()
    {
        using var ca = DeviceCa.Open(new DeviceCaOptions { DataDirectory = _dir.File("ca") }, TimeProvider.System);
        var caFile = _dir.File("ca.pem");
        await File.WriteAllTextAsync(caFile, ca.CertificatePem);
        var (serverPem, serverKey) = ca.IssueServerCertificate("localhost", TimeSpan.FromHours(1));
        await File.WriteAllTextAsync(_dir.File("server.pem"), serverPem);
        await File.WriteAllTextAsync(_dir.File("server.key"), serverKey);
        var good = await WriteDeviceAsync(ca, "dev-good");
        var bad = await WriteDeviceAsync(ca, "dev-bad");
        ca.Revoke("dev-bad", "reported stolen");

        using var broker = await MosquittoBroker.StartMutualTlsAsync(_dir, caFile, _dir.File("server.pem"), _dir.File("server.key"), ca.Options.CrlPath);

        var accepted = await broker.PublishAsync(caFile, good.Cert, good.Key, "dev-good");
        Assert.True(accepted.ExitCode == 0, accepted.Describe("publish with issued certificate") + "\nbroker:\n" + broker.Log);
        var refused = await broker.PublishAsync(caFile, bad.Cert, bad.Key, "dev-bad");
        Assert.True(refused.ExitCode != 0, refused.Describe("publish with revoked certificate") + "\nbroker:\n" + broker.Log);
        // Both certificates were issued alike; only the CRL tells them apart, and the broker refuses the handshake.
        Assert.Contains("certificate verify failed", broker.Log, StringComparison.Ordinal);
        Assert.DoesNotContain("as dev-bad", broker.Log, StringComparison.Ordinal);
    }

    private async Task<(string Cert, string Key)> WriteDeviceAsync(DeviceCa ca, string deviceId)
    {
        var (key, csr) = DeviceKeys.NewKeyAndCsr(deviceId);
        using var _ = key;
        var issued = ca.Issue(deviceId, csr);
        var cert = _dir.File(deviceId + ".pem");
        var keyFile = _dir.File(deviceId + ".key");
        await File.WriteAllTextAsync(cert, issued.CertificatePem);
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (cert, keyFile);
    }
}
