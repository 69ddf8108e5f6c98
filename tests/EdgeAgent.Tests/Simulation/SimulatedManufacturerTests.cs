using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatientStream.EdgeAgent.Simulation;
using PatientStream.Testing;

namespace PatientStream.EdgeAgent.Tests.Simulation;

public sealed class SimulatedManufacturerTests
{
    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void A_new_folder_gets_a_P256_root_whose_key_only_the_owner_can_read()
    {
        using var folder = new TempFolder("maker");
        var path = folder.Combine("acme");

        using var maker = SimulatedManufacturer.LoadOrCreate(path);

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(path, SimulatedManufacturer.KeyFileName)));
        Assert.Equal(maker.RootCertificatePem, File.ReadAllText(Path.Combine(path, SimulatedManufacturer.CertificateFileName)));
        using var root = X509Certificate2.CreateFromPem(maker.RootCertificatePem);
        using var key = root.GetECDsaPublicKey();
        Assert.Equal(256, key!.KeySize);
        Assert.True(root.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.False(File.Exists(Path.Combine(path, SimulatedManufacturer.KeyFileName + ".tmp")));
    }

    [Fact]
    public void Loading_the_folder_again_gives_the_same_manufacturer()
    {
        using var folder = new TempFolder("maker");
        string first;
        using (var maker = SimulatedManufacturer.LoadOrCreate(folder.Path))
        {
            first = maker.RootCertificatePem;
        }

        using var again = SimulatedManufacturer.LoadOrCreate(folder.Path);
        using var device = again.IssueDeviceCertificate("sim-0007");

        Assert.Equal(first, again.RootCertificatePem);
        Assert.True(ChainsTo(first, device.CertificatePem));
    }

    [Fact]
    public void A_device_certificate_names_the_device_carries_its_key_and_chains_to_the_root()
    {
        using var folder = new TempFolder("maker");
        using var maker = SimulatedManufacturer.LoadOrCreate(folder.Path);

        using var device = maker.IssueDeviceCertificate("ward3-bed12");

        using var certificate = X509Certificate2.CreateFromPem(device.CertificatePem);
        Assert.Equal("ward3-bed12", certificate.GetNameInfo(X509NameType.SimpleName, false));
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        using var publicKey = certificate.GetECDsaPublicKey()!;
        var data = "nonce"u8.ToArray();
        Assert.True(publicKey.VerifyData(data, device.Key.SignData(data, HashAlgorithmName.SHA256), HashAlgorithmName.SHA256));
        Assert.True(ChainsTo(maker.RootCertificatePem, device.CertificatePem));
        using var other = SimulatedManufacturer.LoadOrCreate(folder.Combine("other"));
        Assert.False(ChainsTo(other.RootCertificatePem, device.CertificatePem));
    }

    [Fact]
    public void A_root_without_its_matching_key_is_refused_rather_than_replaced()
    {
        using var folder = new TempFolder("maker");
        using (SimulatedManufacturer.LoadOrCreate(folder.Path))
        {
        }
        using var stranger = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        File.WriteAllText(Path.Combine(folder.Path, SimulatedManufacturer.KeyFileName), stranger.ExportPkcs8PrivateKeyPem());

        var error = Assert.Throws<InvalidDataException>(() => SimulatedManufacturer.LoadOrCreate(folder.Path));

        Assert.Contains("does not match its key", error.Message, StringComparison.Ordinal);
        File.Delete(Path.Combine(folder.Path, SimulatedManufacturer.KeyFileName));
        Assert.Throws<InvalidDataException>(() => SimulatedManufacturer.LoadOrCreate(folder.Path));
    }

    private static bool ChainsTo(string rootPem, string leafPem)
    {
        using var root = X509Certificate2.CreateFromPem(rootPem);
        using var leaf = X509Certificate2.CreateFromPem(leafPem);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(root);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(leaf);
    }
}
