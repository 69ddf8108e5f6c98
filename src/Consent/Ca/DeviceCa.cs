using System.Numerics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace PatientStream.Consent.Ca;

/// <summary>An operational certificate handed to a device, with its PEM for the device and the broker.</summary>
public sealed record IssuedCertificate(string DeviceId, string Serial, DateTimeOffset NotBefore, DateTimeOffset NotAfter, string CertificatePem, string CaCertificatePem);

/// <summary>
/// The site's device CA (ECDSA P-256). It issues short-lived operational certificates (CN = device id, client
/// authentication) that Mosquitto accepts for mTLS, renews them, revokes devices and publishes the revocations
/// both as a CRL file for Mosquitto's <c>crlfile</c> and as a list the edge agent checks.
/// </summary>
public sealed class DeviceCa : IDisposable
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");
    private static readonly Oid ServerAuth = new("1.3.6.1.5.5.7.3.1");
    private const string EcPublicKeyOid = "1.2.840.10045.2.1";

    private readonly DeviceCaOptions _options;
    private readonly TimeProvider _clock;
    private readonly CaRegistry _registry;
    private readonly X509Certificate2 _certificate;
    private readonly ECDsa _key;
    private readonly Lock _crlLock = new();

    private DeviceCa(DeviceCaOptions options, TimeProvider clock, X509Certificate2 certificate, ECDsa key)
    {
        _options = options;
        _clock = clock;
        _certificate = certificate;
        _key = key;
        _registry = new CaRegistry(options.RegistryPath);
    }

    public X509Certificate2 Certificate => _certificate;

    public string CertificatePem => _certificate.ExportCertificatePem();

    public DeviceCaOptions Options => _options;

    /// <summary>Opens the CA in the data directory, creating its key and self-signed certificate on first use.</summary>
    public static DeviceCa Open(DeviceCaOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(clock);
        options.Validate();
        Directory.CreateDirectory(options.DataDirectory);

        ECDsa key;
        X509Certificate2 certificate;
        if (File.Exists(options.CaKeyPath) && File.Exists(options.CaCertificatePath))
        {
            key = ECDsa.Create();
            key.ImportFromPem(File.ReadAllText(options.CaKeyPath));
            certificate = X509Certificate2.CreateFromPem(File.ReadAllText(options.CaCertificatePath));
        }
        else
        {
            key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            certificate = CreateCaCertificate(options, clock, key);
            WritePrivate(options.CaKeyPath, key.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(options.CaCertificatePath, certificate.ExportCertificatePem());
        }

        var ca = new DeviceCa(options, clock, certificate, key);
        if (!File.Exists(options.CrlPath))
        {
            ca.PublishCrl();
        }

        return ca;
    }

    /// <summary>Issues an operational certificate for a device whose identity has already been attested.</summary>
    /// <param name="deviceId">The attested device id; becomes the certificate's CN and the MQTT user name.</param>
    /// <param name="csrPem">A PKCS#10 request over the device's new P-256 key; its self-signature proves possession.</param>
    public IssuedCertificate Issue(string deviceId, string csrPem)
    {
        ValidateDeviceId(deviceId);
        if (_registry.FindRevokedDevice(deviceId) is { } revoked)
        {
            throw new CertificateAuthorityException(CaErrorCode.DeviceRevoked, $"device {deviceId} was revoked at {revoked.RevokedAt:O}: {revoked.Reason}");
        }

        var publicKey = ReadRequestKey(csrPem);
        var now = _clock.GetUtcNow();
        var notBefore = now - _options.ClockSkew;
        var notAfter = Min(now + _options.CertificateLifetime, _certificate.NotAfter.ToUniversalTime());

        var request = new CertificateRequest(new X500DistinguishedName("CN=" + deviceId), publicKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ClientAuth], false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(publicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, true, false));

        var certificate = Sign(request, notBefore, notAfter);
        _registry.AddIssued(new IssuedCertificateRecord(certificate.SerialNumber, deviceId, notBefore, notAfter, null, null));
        return new IssuedCertificate(deviceId, certificate.SerialNumber, notBefore, notAfter, certificate.ExportCertificatePem(), CertificatePem);
    }

    /// <summary>Checks that a presented operational certificate is ours, current and unrevoked; returns its device id.</summary>
    public string VerifyOperational(X509Certificate2 presented)
    {
        ArgumentNullException.ThrowIfNull(presented);
        var record = _registry.FindIssued(presented.SerialNumber);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(_certificate);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = _clock.GetUtcNow().UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (record is null || !chain.Build(presented))
        {
            var expired = chain.ChainStatus.Any(s => s.Status == X509ChainStatusFlags.NotTimeValid);
            throw expired && record is not null
                ? new CertificateAuthorityException(CaErrorCode.CertificateExpired, $"certificate {presented.SerialNumber} is not valid now")
                : new CertificateAuthorityException(CaErrorCode.UnknownCertificate, "the certificate was not issued by this device CA");
        }

        if (record.RevokedAt is not null)
        {
            throw new CertificateAuthorityException(CaErrorCode.CertificateRevoked, $"certificate {record.Serial} of device {record.DeviceId} is revoked");
        }

        return record.DeviceId;
    }

    /// <summary>
    /// Renews a current operational certificate inside its renewal window. The caller has verified that the
    /// device holds the presented certificate's key.
    /// </summary>
    public IssuedCertificate Renew(X509Certificate2 current, string csrPem)
    {
        var deviceId = VerifyOperational(current);
        var remaining = current.NotAfter.ToUniversalTime() - _clock.GetUtcNow();
        if (remaining > _options.RenewalWindow)
        {
            throw new CertificateAuthorityException(CaErrorCode.RenewalTooEarly, $"renewal opens {_options.RenewalWindow} before expiry; {remaining} remain");
        }

        return Issue(deviceId, csrPem);
    }

    /// <summary>Revokes a device and all its certificates, then republishes the CRL; returns the serials revoked.</summary>
    public IReadOnlyList<string> Revoke(string deviceId, string reason)
    {
        ValidateDeviceId(deviceId);
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        var serials = _registry.RevokeDevice(deviceId, _clock.GetUtcNow(), reason);
        PublishCrl();
        return serials;
    }

    /// <summary>Allows a revoked device to enroll again; certificates revoked earlier stay revoked.</summary>
    public bool Reinstate(string deviceId) => _registry.Reinstate(deviceId);

    /// <summary>The TPM endorsement key name registered for a device (an individual enrollment), if any.</summary>
    public string? EndorsementKeyOf(string deviceId) => _registry.FindEndorsementKey(deviceId);

    public void RegisterEndorsementKey(string deviceId, string endorsementKeyName)
    {
        ValidateDeviceId(deviceId);
        _registry.RegisterEndorsementKey(deviceId, endorsementKeyName);
    }

    public bool IsDeviceRevoked(string deviceId) => _registry.FindRevokedDevice(deviceId) is not null;

    /// <summary>The revocations the edge agent checks: revoked devices and serials, with when the list was made.</summary>
    public RevocationList Revocations() =>
        new(_clock.GetUtcNow(), _registry.RevokedDevices(), _registry.RevokedCertificates().Select(r => new RevokedSerial(r.Serial, r.DeviceId, r.RevokedAt!.Value)).ToList());

    /// <summary>Signs a fresh CRL of every revoked certificate and writes it atomically to <see cref="DeviceCaOptions.CrlPath"/>.</summary>
    public string PublishCrl()
    {
        lock (_crlLock)
        {
            var now = _clock.GetUtcNow();
            var builder = new CertificateRevocationListBuilder();
            foreach (var revoked in _registry.RevokedCertificates())
            {
                builder.AddEntry(Convert.FromHexString(revoked.Serial), revoked.RevokedAt!.Value, X509RevocationReason.CessationOfOperation);
            }

            var number = new BigInteger(_registry.NextCounter("crl"));
            var der = builder.Build(
                _certificate.SubjectName,
                X509SignatureGenerator.CreateForECDsa(_key),
                number,
                now + _options.CrlLifetime,
                HashAlgorithmName.SHA256,
                X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, true, false),
                now);
            var pem = new string(PemEncoding.Write("X509 CRL", der));
            var temporary = _options.CrlPath + ".tmp";
            File.WriteAllText(temporary, pem + "\n");
            File.Move(temporary, _options.CrlPath, overwrite: true);
            return pem;
        }
    }

    /// <summary>Issues a TLS server certificate for the site's broker (e.g. Mosquitto) from this CA.</summary>
    public (string CertificatePem, string KeyPem) IssueServerCertificate(string hostName, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName("CN=" + hostName), key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddDnsName("localhost");
        names.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyAgreement, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([ServerAuth], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(_certificate, true, false));
        var now = _clock.GetUtcNow();
        using var certificate = Sign(request, now - _options.ClockSkew, Min(now + lifetime, _certificate.NotAfter.ToUniversalTime()));
        return (certificate.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    public void Dispose()
    {
        _key.Dispose();
        _certificate.Dispose();
    }

    internal static void ValidateDeviceId(string deviceId)
    {
        // Device ids become certificate CNs, MQTT user names, topic segments and FHIR Device ids: the FHIR id alphabet fits all.
        if (!IsValidDeviceId(deviceId))
        {
            throw new CertificateAuthorityException(CaErrorCode.InvalidCertificateRequest, "a device id is 1-64 characters of letters, digits, '-' or '.'");
        }
    }

    public static bool IsValidDeviceId(string? deviceId) =>
        !string.IsNullOrEmpty(deviceId) && deviceId.Length <= 64 && deviceId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    private static PublicKey ReadRequestKey(string csrPem)
    {
        CertificateRequest csr;
        try
        {
            // Loading verifies the request's self-signature: the device holds the key it asks us to certify.
            csr = CertificateRequest.LoadSigningRequestPem(csrPem, HashAlgorithmName.SHA256);
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException)
        {
            throw new CertificateAuthorityException(CaErrorCode.InvalidCertificateRequest, "the certificate signing request is not a valid, self-signed PKCS#10 request", ex);
        }

        using var ec = csr.PublicKey.Oid.Value == EcPublicKeyOid ? csr.PublicKey.GetECDsaPublicKey() : null;
        if (ec is null || ec.KeySize != 256)
        {
            throw new CertificateAuthorityException(CaErrorCode.InvalidCertificateRequest, "the certificate signing request must carry an ECDSA P-256 key");
        }

        return csr.PublicKey;
    }

    private X509Certificate2 Sign(CertificateRequest request, DateTimeOffset notBefore, DateTimeOffset notAfter)
    {
        var serial = new byte[16];
        RandomNumberGenerator.Fill(serial);

        // A positive DER INTEGER: clear the top bit.
        serial[0] &= 0x7F;
        serial[0] |= 0x01;
        return request.Create(_certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), notBefore, notAfter, serial);
    }

    private static X509Certificate2 CreateCaCertificate(DeviceCaOptions options, TimeProvider clock, ECDsa key)
    {
        var request = new CertificateRequest(options.CaSubject, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        var subjectKeyId = new X509SubjectKeyIdentifierExtension(request.PublicKey, false);
        request.CertificateExtensions.Add(subjectKeyId);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromSubjectKeyIdentifier(subjectKeyId));
        var now = clock.GetUtcNow();
        using var withKey = request.CreateSelfSigned(now - options.ClockSkew, now + options.CaLifetime);
        return X509CertificateLoader.LoadCertificate(withKey.RawData);
    }

    private static void WritePrivate(string path, string content)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            // The CA key is readable by the service account only.
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(content);
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
}

public sealed record RevokedSerial(string Serial, string DeviceId, DateTimeOffset RevokedAt);

/// <summary>What the edge agent checks before forwarding a device's readings.</summary>
public sealed record RevocationList(DateTimeOffset GeneratedAt, IReadOnlyList<RevokedDevice> Devices, IReadOnlyList<RevokedSerial> Certificates)
{
    public bool IsRevoked(string deviceId) => Devices.Any(d => string.Equals(d.DeviceId, deviceId, StringComparison.Ordinal));
}
