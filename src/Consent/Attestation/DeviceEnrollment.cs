using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using PatientStream.Consent.Audit;
using PatientStream.Consent.Ca;
using PatientStream.Consent.Devices;

namespace PatientStream.Consent.Attestation;

/// <summary>An X.509 attestation: the device's manufacturer certificate chain (leaf first), the nonce, the proof and the CSR.</summary>
public sealed record X509EnrollmentRequest(string CertificateChainPem, string Nonce, string Signature, string CsrPem);

/// <summary>A renewal: the current operational certificate, a nonce signed with its key, and the CSR for the next one.</summary>
public sealed record RenewalRequest(string CertificatePem, string Nonce, string Signature, string CsrPem);

public sealed record NonceResponse(string Nonce, DateTimeOffset ExpiresAt);

/// <summary>
/// Attestation-based enrollment, modelled on Azure DPS: a device proves who it is (X.509 here, TPM in
/// <see cref="TpmAttestor"/>) and, if it is not revoked and is bound to a patient, receives a short-lived
/// operational certificate from the site's device CA. Every attempt, issuance and revocation is audited.
/// </summary>
public sealed class DeviceEnrollment
{
    private const int MaxChainLength = 8;
    private readonly DeviceCa _ca;
    private readonly DeviceRegistry _devices;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _clock;
    private readonly SingleUseTokens<bool> _nonces;
    private readonly X509Certificate2Collection _manufacturerRoots = [];

    private readonly ILogger _logger;

    public DeviceEnrollment(DeviceCa ca, DeviceRegistry devices, AuditTrail audit, AttestationOptions options, TimeProvider clock, ILogger<DeviceEnrollment>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _ca = ca;
        _devices = devices;
        _audit = audit;
        _clock = clock;
        _nonces = new SingleUseTokens<bool>(clock, options.NonceLifetime, options.MaxPendingNonces);
        foreach (var pem in options.ManufacturerRootsPem)
        {
            _manufacturerRoots.ImportFromPem(pem);
        }
    }

    internal DeviceCa Ca => _ca;

    internal AuditTrail Audit => _audit;

    public NonceResponse IssueNonce()
    {
        var (nonce, expiresAt) = _nonces.Issue(true);
        return new NonceResponse(nonce, expiresAt);
    }

    public Task<IssuedCertificate> EnrollX509Async(X509EnrollmentRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? deviceId = null;
        return AuditedAsync("x509", () => deviceId, async () =>
        {
            var chain = new X509Certificate2Collection();
            try
            {
                try
                {
                    chain.ImportFromPem(request.CertificateChainPem ?? "");
                }
                catch (CryptographicException ex)
                {
                    throw new AttestationException(AttestationError.InvalidRequest, "certificateChain is not PEM certificates", ex);
                }

                if (chain.Count is 0 or > MaxChainLength)
                {
                    throw new AttestationException(AttestationError.InvalidRequest, $"certificateChain must hold 1 to {MaxChainLength} certificates, the device's first");
                }

                var leaf = chain[0];
                var commonName = leaf.GetNameInfo(X509NameType.SimpleName, false);
                if (!DeviceCa.IsValidDeviceId(commonName))
                {
                    throw new AttestationException(AttestationError.InvalidRequest, "the device certificate's CN is not a valid device id (letters, digits, '-', '.')");
                }

                deviceId = commonName;
                _nonces.Redeem(request.Nonce);
                VerifyManufacturerChain(leaf, chain);
                VerifyProof(leaf, request.Nonce, request.Signature, request.CsrPem, "manufacturer");
                return await IssueAttestedAsync("x509", deviceId, request.CsrPem, "enroll", cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                foreach (var certificate in chain)
                {
                    certificate.Dispose();
                }
            }
        }, cancellationToken);
    }

    public Task<IssuedCertificate> RenewAsync(RenewalRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? deviceId = null;
        return AuditedAsync("renewal", () => deviceId, async () =>
        {
            X509Certificate2 current;
            try
            {
                current = X509Certificate2.CreateFromPem(request.CertificatePem);
            }
            catch (CryptographicException ex)
            {
                throw new AttestationException(AttestationError.InvalidRequest, "certificate is not a PEM certificate", ex);
            }

            using (current)
            {
                deviceId = current.GetNameInfo(X509NameType.SimpleName, false);
                _nonces.Redeem(request.Nonce);
                VerifyProof(current, request.Nonce, request.Signature, request.CsrPem, "operational");
                await RequireBoundAsync(deviceId, cancellationToken).ConfigureAwait(false);
                var issued = _ca.Renew(current, request.CsrPem);
                await _audit.CertificateIssuedAsync(issued, "renew", cancellationToken).ConfigureAwait(false);
                return issued;
            }
        }, cancellationToken);
    }

    /// <summary>Revokes a device (a clinician or administrator action): every certificate, the CRL, and the Device status.</summary>
    public async Task<IReadOnlyList<string>> RevokeAsync(string deviceId, string reason, string by, CancellationToken cancellationToken)
    {
        var serials = _ca.Revoke(deviceId, reason);
        await _devices.DeactivateAsync(deviceId, cancellationToken).ConfigureAwait(false);
        await _audit.CertificateRevokedAsync(deviceId, serials, reason, by, cancellationToken).ConfigureAwait(false);
        return serials;
    }

    /// <summary>Lets a revoked device enroll again (after repair or recovery); its old certificates stay revoked.</summary>
    public async Task<bool> ReinstateAsync(string deviceId, string by, CancellationToken cancellationToken)
    {
        var reinstated = _ca.Reinstate(deviceId);
        await _devices.ActivateAsync(deviceId, cancellationToken).ConfigureAwait(false);
        await _audit.DeviceReinstatedAsync(deviceId, by, cancellationToken).ConfigureAwait(false);
        return reinstated;
    }

    /// <summary>The last gate of every mechanism: not revoked, bound to a patient, then issue and audit.</summary>
    internal async Task<IssuedCertificate> IssueAttestedAsync(string mechanism, string deviceId, string csrPem, string how, CancellationToken cancellationToken)
    {
        if (_ca.IsDeviceRevoked(deviceId))
        {
            throw new AttestationException(AttestationError.DeviceRevoked, $"device {deviceId} is revoked");
        }

        await RequireBoundAsync(deviceId, cancellationToken).ConfigureAwait(false);
        var issued = _ca.Issue(deviceId, csrPem);
        await _audit.AttestationAsync(mechanism, deviceId, null, "attestation succeeded", cancellationToken).ConfigureAwait(false);
        _logger.LogInformation("Device {DeviceId} attested ({Mechanism}); certificate {Serial} valid until {NotAfter:O}", deviceId, mechanism, issued.Serial, issued.NotAfter);
        await _audit.CertificateIssuedAsync(issued, how, cancellationToken).ConfigureAwait(false);
        return issued;
    }

    /// <summary>Runs an attestation step and audits any refusal with its stable code before passing it on.</summary>
    internal async Task<T> AuditedAsync<T>(string mechanism, Func<string?> deviceId, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        try
        {
            return await work().ConfigureAwait(false);
        }
        catch (CertificateAuthorityException ex)
        {
            var mapped = new AttestationException(Map(ex.Code), ex.Message, ex);
            LogRefusal(mechanism, deviceId(), mapped.Code);
            await _audit.AttestationAsync(mechanism, deviceId(), mapped.Code, mapped.Message, cancellationToken).ConfigureAwait(false);
            throw mapped;
        }
        catch (AttestationException ex)
        {
            LogRefusal(mechanism, deviceId(), ex.Code);
            await _audit.AttestationAsync(mechanism, deviceId(), ex.Code, ex.Message, cancellationToken).ConfigureAwait(false);
            throw;
        }
    }

    // Device ids are not patient identifiers; the patient a device serves is never logged.
    private void LogRefusal(string mechanism, string? deviceId, string code) =>
        _logger.LogInformation("Attestation ({Mechanism}) refused for device {DeviceId}: {Code}", mechanism, deviceId ?? "(unidentified)", code);

    private async Task RequireBoundAsync(string deviceId, CancellationToken cancellationToken)
    {
        var binding = await _devices.FindAsync(deviceId, cancellationToken).ConfigureAwait(false);
        if (binding is not { IsBound: true })
        {
            throw new AttestationException(AttestationError.DeviceNotBound, $"device {deviceId} is not bound to a patient; a clinician must bind it first");
        }
    }

    private void VerifyManufacturerChain(X509Certificate2 leaf, X509Certificate2Collection presented)
    {
        var now = _clock.GetUtcNow();
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_manufacturerRoots);
        chain.ChainPolicy.ExtraStore.AddRange(presented);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = now.UtcDateTime;
        chain.ChainPolicy.VerificationTimeIgnored = false;
        if (chain.Build(leaf))
        {
            return;
        }

        var flags = chain.ChainStatus.Aggregate(X509ChainStatusFlags.NoError, (all, s) => all | s.Status);
        const X509ChainStatusFlags Untrusted = X509ChainStatusFlags.UntrustedRoot | X509ChainStatusFlags.PartialChain
            | X509ChainStatusFlags.NotSignatureValid | X509ChainStatusFlags.Cyclic | X509ChainStatusFlags.InvalidBasicConstraints;
        if ((flags & Untrusted) != 0 || _manufacturerRoots.Count == 0)
        {
            throw new AttestationException(AttestationError.UnknownCa, "the device certificate does not chain to a trusted manufacturer root");
        }

        if ((flags & X509ChainStatusFlags.NotTimeValid) != 0)
        {
            var notYet = chain.ChainElements.Any(e => e.Certificate.NotBefore.ToUniversalTime() > now.UtcDateTime);
            throw notYet
                ? new AttestationException(AttestationError.CertificateNotYetValid, "a certificate in the device chain is not yet valid")
                : new AttestationException(AttestationError.CertificateExpired, "a certificate in the device chain has expired");
        }

        throw new AttestationException(AttestationError.UnknownCa, "the device certificate chain is invalid: " + flags);
    }

    private static void VerifyProof(X509Certificate2 certificate, string nonce, string signature, string csrPem, string whose)
    {
        var message = AttestationProof.Message(nonce, csrPem);
        var signatureBytes = AttestationProof.Decode(signature, "signature");
        using var key = certificate.GetECDsaPublicKey()
            ?? throw new AttestationException(AttestationError.InvalidRequest, $"the {whose} certificate must carry an ECDSA P-256 key");
        if (key.KeySize != 256)
        {
            throw new AttestationException(AttestationError.InvalidRequest, $"the {whose} certificate must carry an ECDSA P-256 key");
        }

        if (!key.VerifyData(message, signatureBytes, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
        {
            throw new AttestationException(AttestationError.WrongSignature, $"the signature over the nonce was not made with the {whose} certificate's key");
        }
    }

    private static AttestationError Map(CaErrorCode code) => code switch
    {
        CaErrorCode.DeviceRevoked or CaErrorCode.CertificateRevoked => AttestationError.DeviceRevoked,
        CaErrorCode.UnknownCertificate => AttestationError.CertificateUnknown,
        CaErrorCode.CertificateExpired => AttestationError.CertificateExpired,
        CaErrorCode.RenewalTooEarly => AttestationError.RenewalTooEarly,
        _ => AttestationError.InvalidRequest,
    };
}
