using System.Globalization;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Ca;

/// <summary>The real broker accepts what the device CA issues and refuses what it revoked.</summary>
public sealed class MosquittoMutualTlsTests : IDisposable
{
    private readonly TempFolder _dir = new("consent");

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Mosquitto_accepts_an_issued_certificate_and_refuses_it_once_revoked()
    {
        using var ca = DeviceCa.Open(new DeviceCaOptions { DataDirectory = _dir.Combine("ca") }, TimeProvider.System);
        var kept = await WriteDeviceAsync(ca, "dev-kept");
        var lost = await WriteDeviceAsync(ca, "dev-lost");
        await using var broker = new MosquittoFixture(new MosquittoOptions
        {
            Tls = true,
            ClientCaPemPath = ca.Options.CaCertificatePath,
            CrlPemPath = ca.Options.CrlPath,
            Acl = MosquittoFixture.AclForDevices,
        });
        await broker.InitializeAsync();
        await AssertPublishes(broker, kept, "dev-kept", accepted: true);
        await AssertPublishes(broker, lost, "dev-lost", accepted: true);

        ca.Revoke("dev-lost", "reported stolen");

        // Mosquitto reads its crlfile when the listener starts.
        await broker.RestartAsync();
        await AssertPublishes(broker, kept, "dev-kept", accepted: true);
        await AssertPublishes(broker, lost, "dev-lost", accepted: false);
    }

    private static async Task AssertPublishes(MosquittoFixture broker, (string Cert, string Key) device, string deviceId, bool accepted)
    {
        var run = await PublishAsync(broker, device.Cert, device.Key, deviceId);
        Assert.True(accepted == (run.ExitCode == 0), run.Describe($"publish as {deviceId}") + "\nbroker:\n" + broker.Log);
    }

    private static Task<ProcessResult> PublishAsync(MosquittoFixture broker, string certFile, string keyFile, string deviceId) =>
        ToolRun.RunAsync(RequiredBinary.Find("mosquitto_pub", "mosquitto-clients"), [
            "-h", MosquittoFixture.Host, "-p", broker.TlsPort.ToString(CultureInfo.InvariantCulture),
            "--cafile", broker.CaPemPath, "--cert", certFile, "--key", keyFile,
            "-i", deviceId, "-q", "1", "-t", $"ps/v1/devices/{deviceId}/status", "-m", "online",
        ]);

    private async Task<(string Cert, string Key)> WriteDeviceAsync(DeviceCa ca, string deviceId)
    {
        var (key, csr) = DeviceKeys.NewKeyAndCsr(deviceId);
        using var _ = key;
        var issued = ca.Issue(deviceId, csr);
        var cert = _dir.Combine(deviceId + ".pem");
        var keyFile = _dir.Combine(deviceId + ".key");
        await File.WriteAllTextAsync(cert, issued.CertificatePem);
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (cert, keyFile);
    }
}
