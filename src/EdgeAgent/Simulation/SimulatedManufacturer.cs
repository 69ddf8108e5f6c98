using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.EdgeAgent.Simulation;

/// <summary>A device's birth certificate from its manufacturer (CN = device id) and the key it holds for it.</summary>
public sealed record ManufacturerCredential(string DeviceId, ECDsa Key, string CertificatePem) : IDisposable
{
    public void Dispose() => Key.Dispose();
}

/// <summary>
/// The maker of the simulated wearables: an ECDSA P-256 root that signs each device's birth certificate, the
/// certificate the device presents to X.509 attestation. A site trusts it by placing <see cref="RootCertificatePem"/>
/// in the server's <c>manufacturer-roots</c> folder. The root lives in a folder (<c>root.crt.pem</c>,
/// <c>root.key.pem</c> readable by the owner only) so that a restarted simulator stays the same manufacturer.
/// </summary>
public sealed class SimulatedManufacturer : IDisposable
{
    public const string CertificateFileName = "root.crt.pem";
    public const string KeyFileName = "root.key.pem";
    private const string Subject = "CN=PatientStream Simulated Wearables Root, O=PatientStream Simulation";
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    // Birth certificates outlive the simulator's runs; they only need to be valid while a device enrolls.
    private static readonly TimeSpan s_deviceLifetime = TimeSpan.FromDays(5 * 365);
    private static readonly TimeSpan s_rootLifetime = TimeSpan.FromDays(20 * 365);

    private readonly X509Certificate2 _root;
    private readonly ECDsa _rootKey;
    private readonly TimeProvider _time;
    // An OpenSSL-backed key is not documented as safe for concurrent signing; devices enroll in parallel.
    private readonly Lock _signing = new();

    private SimulatedManufacturer(X509Certificate2 root, ECDsa rootKey, string folder, TimeProvider time)
    {
        _root = root;
        _rootKey = rootKey;
        _time = time;
        Folder = folder;
        RootCertificatePem = root.ExportCertificatePem();
    }

    /// <summary>The folder holding the root (and, for <see cref="AttestationEnrollment"/>, the devices' credentials).</summary>
    public string Folder { get; }

    /// <summary>The root certificate (PEM) a site must trust for these devices to enroll.</summary>
    public string RootCertificatePem { get; }

    /// <summary>Loads the root from <paramref name="folder"/>, creating the folder and a new root when none is there.</summary>
    /// <exception cref="InvalidDataException">The folder holds a root that cannot be read or has expired.</exception>
    public static SimulatedManufacturer LoadOrCreate(string folder, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        time ??= TimeProvider.System;
        Directory.CreateDirectory(folder);
        var certificatePath = Path.Combine(folder, CertificateFileName);
        var keyPath = Path.Combine(folder, KeyFileName);
        if (File.Exists(certificatePath) || File.Exists(keyPath))
        {
            return Load(folder, certificatePath, keyPath, time);
        }
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest(Subject, key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            var now = time.GetUtcNow();
            var root = request.CreateSelfSigned(now.AddDays(-1), now + s_rootLifetime);
            // The key first: a certificate without its key would make the next start refuse the folder.
            WriteAtomically(keyPath, key.ExportPkcs8PrivateKeyPem(), OwnerOnly);
            WriteAtomically(certificatePath, root.ExportCertificatePem(), null);
            return new SimulatedManufacturer(root, key, folder, time);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static SimulatedManufacturer Load(string folder, string certificatePath, string keyPath, TimeProvider time)
    {
        X509Certificate2 root;
        var key = ECDsa.Create();
        try
        {
            root = X509Certificate2.CreateFromPem(File.ReadAllText(certificatePath));
            key.ImportFromPem(File.ReadAllText(keyPath));
        }
        catch (Exception e) when (e is IOException or CryptographicException or ArgumentException)
        {
            key.Dispose();
            throw new InvalidDataException($"The manufacturer folder {folder} holds no readable root ({CertificateFileName} + {KeyFileName}): {e.Message}", e);
        }
        using var publicKey = root.GetECDsaPublicKey();
        var matches = publicKey is not null
            && publicKey.ExportSubjectPublicKeyInfo().AsSpan().SequenceEqual(key.ExportSubjectPublicKeyInfo());
        if (!matches || root.NotAfter.ToUniversalTime() <= time.GetUtcNow().UtcDateTime)
        {
            root.Dispose();
            key.Dispose();
            throw new InvalidDataException(matches
                ? $"The manufacturer root in {folder} has expired; remove the folder to create a new one (and trust its root again)."
                : $"The manufacturer root in {folder} does not match its key; remove the folder to create a new one.");
        }
        return new SimulatedManufacturer(root, key, folder, time);
    }

    /// <summary>Makes a device: a fresh P-256 key and a birth certificate for it (CN = <paramref name="deviceId"/>).</summary>
    public ManufacturerCredential IssueDeviceCertificate(string deviceId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(deviceId);
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        try
        {
            var request = new CertificateRequest(new X500DistinguishedName("CN=" + deviceId), key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_root, true, false));
            var serial = RandomNumberGenerator.GetBytes(12);
            serial[0] &= 0x7F;
            var now = _time.GetUtcNow();
            var notAfter = now + s_deviceLifetime < _root.NotAfter ? now + s_deviceLifetime : new DateTimeOffset(_root.NotAfter.ToUniversalTime());
            X509Certificate2 certificate;
            lock (_signing)
            {
                certificate = request.Create(_root.SubjectName, X509SignatureGenerator.CreateForECDsa(_rootKey), now.AddDays(-1), notAfter, serial);
            }
            using (certificate)
            {
                return new ManufacturerCredential(deviceId, key, certificate.ExportCertificatePem());
            }
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    /// <summary>Writes a file through a temporary sibling and a rename, so a crash never leaves half a file.</summary>
    internal static void WriteAtomically(string path, string contents, UnixFileMode? mode)
    {
        var temporary = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (mode is { } m && !OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = m;
            // UnixCreateMode applies only to a new file; a leftover from a crash keeps its old mode.
            File.Delete(temporary);
        }
        using (var stream = new FileStream(temporary, options))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(contents);
            writer.Flush();
            stream.Flush(flushToDisk: true);
        }
        File.Move(temporary, path, overwrite: true);
    }

    public void Dispose()
    {
        _root.Dispose();
        _rootKey.Dispose();
    }
}
