using System.Security.Cryptography;
using PatientStream.Consent.Ca;

namespace PatientStream.Consent.Attestation.Tpm;

/// <summary>A device's TPM keys, each a base64 TPM2B_PUBLIC (as written by tpm2_createek -u / tpm2_createak -u).</summary>
public sealed record TpmChallengeRequest(string DeviceId, string EndorsementKey, string AttestationKey);

/// <summary>
/// The credential for tpm2_activatecredential (base64 of its input file) and the id to answer with.
/// </summary>
public sealed record TpmChallenge(string ChallengeId, string Credential, DateTimeOffset ExpiresAt);

/// <summary>
/// The answer: <paramref name="Proof"/> is base64 HMAC-SHA256 keyed with the activated secret over
/// <see cref="AttestationProof.Message"/>(challengeId, csrPem), so the secret itself never travels.
/// </summary>
public sealed record TpmActivationRequest(string ChallengeId, string Proof, string CsrPem);

/// <summary>
/// TPM 2.0 attestation by credential activation, as Azure DPS does it: the device's endorsement key is enrolled
/// ahead of time; the service wraps a fresh secret for that EK and the device's attestation key
/// (MakeCredential); only that TPM can unwrap it (ActivateCredential) and prove it knows the secret.
/// </summary>
public sealed class TpmAttestor
{
    private readonly DeviceEnrollment _enrollment;
    private readonly SingleUseTokens<PendingChallenge> _challenges;

    public TpmAttestor(DeviceEnrollment enrollment, AttestationOptions options, TimeProvider clock)
    {
        ArgumentNullException.ThrowIfNull(enrollment);
        ArgumentNullException.ThrowIfNull(options);
        _enrollment = enrollment;
        _challenges = new SingleUseTokens<PendingChallenge>(clock, options.NonceLifetime, options.MaxPendingNonces);
    }

    /// <summary>Enrolls a device's TPM by its endorsement key (an administrator action, before the device first attests).</summary>
    public void RegisterEndorsementKey(string deviceId, string endorsementKey)
    {
        var ek = TpmPublic.Parse(AttestationProof.Decode(endorsementKey, "endorsementKey"));
        _enrollment.Ca.RegisterEndorsementKey(deviceId, Convert.ToHexString(ek.Name));
    }

    public Task<TpmChallenge> ChallengeAsync(TpmChallengeRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _enrollment.AuditedAsync("tpm", () => request.DeviceId, () =>
        {
            DeviceCa.ValidateDeviceId(request.DeviceId);
            var ek = TpmPublic.Parse(AttestationProof.Decode(request.EndorsementKey, "endorsementKey"));
            var registered = _enrollment.Ca.EndorsementKeyOf(request.DeviceId);
            if (registered is null || !string.Equals(registered, Convert.ToHexString(ek.Name), StringComparison.Ordinal))
            {
                throw new AttestationException(AttestationError.TpmEndorsementKeyUnknown, $"no TPM enrollment for device {request.DeviceId} has this endorsement key");
            }

            var ak = TpmPublic.Parse(AttestationProof.Decode(request.AttestationKey, "attestationKey"));
            const uint Required = TpmPublic.FixedTpm | TpmPublic.FixedParent | TpmPublic.SensitiveDataOrigin | TpmPublic.Restricted | TpmPublic.Sign;
            if (!ak.Has(Required) || ak.Has(TpmPublic.Decrypt))
            {
                throw new AttestationException(AttestationError.TpmAttestationKeyInvalid, "the attestation key must be a restricted signing key fixed to the TPM");
            }

            var secret = RandomNumberGenerator.GetBytes(32);
            var credential = TpmCredential.Make(ek, ak.Name, secret);
            var (id, expiresAt) = _challenges.Issue(new PendingChallenge(request.DeviceId, secret));
            return Task.FromResult(new TpmChallenge(id, Convert.ToBase64String(credential), expiresAt));
        }, cancellationToken);
    }

    public Task<IssuedCertificate> ActivateAsync(TpmActivationRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        string? deviceId = null;
        return _enrollment.AuditedAsync("tpm", () => deviceId, async () =>
        {
            var pending = _challenges.Redeem(request.ChallengeId);
            deviceId = pending.DeviceId;
            var expected = HMACSHA256.HashData(pending.Secret, AttestationProof.Message(request.ChallengeId, request.CsrPem));
            var proof = AttestationProof.Decode(request.Proof, "proof");
            if (!CryptographicOperations.FixedTimeEquals(expected, proof))
            {
                throw new AttestationException(AttestationError.TpmCredentialMismatch, "the proof does not match the credential's secret: the TPM did not activate it");
            }

            return await _enrollment.IssueAttestedAsync("tpm", pending.DeviceId, request.CsrPem, "enroll", cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    private sealed record PendingChallenge(string DeviceId, byte[] Secret);
}
