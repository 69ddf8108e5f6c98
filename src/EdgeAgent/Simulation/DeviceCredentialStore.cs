using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>
/// Each device's operational key and certificate on disk, as a device keeps them in its secure storage:
/// <c>{folder}/devices/{id}/device.key.pem</c> (owner-only) and <c>device.crt.pem</c>.
/// </summary>
internal sealed class DeviceCredentialStore(string folder)
{
    private const string KeyFile = "device.key.pem";
    private const string CertificateFile = "device.crt.pem";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode OwnerOnlyFolder = OwnerOnly | UnixFileMode.UserExecute;

    public string Folder(string deviceId) => Path.Combine(folder, "devices", deviceId);

    /// <summary>The stored certificate with its private key, or null when none is stored or it cannot be read.</summary>
    public X509Certificate2? TryLoad(string deviceId)
    {
        var dir = Folder(deviceId);
        var certificatePath = Path.Combine(dir, CertificateFile);
        var keyPath = Path.Combine(dir, KeyFile);
        if (!File.Exists(certificatePath) || !File.Exists(keyPath))
        {
            return null;
        }
        try
        {
            // A key that does not match the certificate (a crash between the two writes) fails here and re-enrolls.
            return X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath), File.ReadAllText(keyPath));
        }
        catch (Exception e) when (e is IOException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }

    public void Save(string deviceId, string certificatePem, ECDsa key)
    {
        var dir = Folder(deviceId);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(dir);
        }
        else
        {
            Directory.CreateDirectory(dir, OwnerOnlyFolder);
        }
        SimulatedManufacturer.WriteAtomically(Path.Combine(dir, KeyFile), key.ExportPkcs8PrivateKeyPem(), OwnerOnly);
        SimulatedManufacturer.WriteAtomically(Path.Combine(dir, CertificateFile), certificatePem, null);
    }
}
