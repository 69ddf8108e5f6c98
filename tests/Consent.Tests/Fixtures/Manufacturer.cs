using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.Consent.Tests.Fixtures;

/// <summary>A device manufacturer's root CA that puts a birth certificate into every device it makes.</summary>
public sealed class Manufacturer : IDisposable
{
    private readonly ECDsa _key = ECDsa.Create(ECCurve.NamedCurves.nistP256);

    public Manufacturer(string name, DateTimeOffset now)
    {
        var request = new CertificateRequest($"CN={name} Root, O={name}", _key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        Root = request.CreateSelfSigned(now.AddYears(-5), now.AddYears(10));
    }

    public X509Certificate2 Root { get; }

    public string RootPem => Root.ExportCertificatePem();

    /// <summary>A device with its manufacturer certificate (CN = device id) valid in [notBefore, notAfter].</summary>
    public ManufacturedDevice MakeDevice(string deviceId, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + deviceId, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        var serial = RandomNumberGenerator.GetBytes(12);
        serial[0] &= 0x7F;
        using var certificate = request.Create(Root, notBefore, notAfter, serial);
        return new ManufacturedDevice(deviceId, key, certificate.ExportCertificatePem());
    }

    public void Dispose()
    {
        Root.Dispose();
        _key.Dispose();
    }
}

public sealed record ManufacturedDevice(string DeviceId, ECDsa Key, string CertificatePem) : IDisposable
{
    public void Dispose() => Key.Dispose();
}
