using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Attestation.Tpm;
using PatientStream.Consent.Tests.Fixtures;

namespace PatientStream.Consent.Tests.Attestation;

/// <summary>Two real software TPMs: the device's own, and another one an impostor holds.</summary>
public sealed class SoftwareTpmPair : IAsyncLifetime
{
    public SoftwareTpm Device { get; private set; } = null!;

    public SoftwareTpm Impostor { get; private set; } = null!;

    public byte[] DeviceEk { get; private set; } = [];

    public byte[] DeviceAk { get; private set; } = [];

    public byte[] ImpostorAk { get; private set; } = [];

    public async Task InitializeAsync()
    {
        Device = await SoftwareTpm.StartAsync();
        Impostor = await SoftwareTpm.StartAsync();
        DeviceEk = await Device.CreateEndorsementKeyAsync();
        DeviceAk = await Device.CreateAttestationKeyAsync();
        await Impostor.CreateEndorsementKeyAsync();
        ImpostorAk = await Impostor.CreateAttestationKeyAsync();
    }

    public async Task DisposeAsync()
    {
        await Device.DisposeAsync();
        await Impostor.DisposeAsync();
    }
}

public sealed class TpmAttestationTests(SoftwareTpmPair tpms) : IClassFixture<SoftwareTpmPair>, IAsyncLifetime
{
    private EnrollmentHarness _h = null!;
    private readonly SoftwareTpmPair _tpms = tpms;

    public async Task InitializeAsync() => _h = await EnrollmentHarness.CreateAsync();

    public async Task DisposeAsync() => await _h.DisposeAsync();

    private TpmAttestor Attestor() => new(_h.Enrollment, new AttestationOptions(), _h.Clock);

    private static TpmChallengeRequest Request(byte[] ek, byte[] ak) => new("dev-tpm", Convert.ToBase64String(ek), Convert.ToBase64String(ak));

    private static string Proof(byte[] secret, string challengeId, string csr) =>
        Convert.ToBase64String(HMACSHA256.HashData(secret, AttestationProof.Message(challengeId, csr)));

    [Fact]
    public async Task Device_whose_TPM_activates_the_credential_gets_an_operational_certificate()
    {
        var attestor = Attestor();
        attestor.RegisterEndorsementKey("dev-tpm", Convert.ToBase64String(_tpms.DeviceEk));
        await _h.Devices.BindToPatientAsync("dev-tpm", "Patient/123", "Practitioner/dr-a", CancellationToken.None);
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-tpm");
        using var _ = key;

        var challenge = await attestor.ChallengeAsync(Request(_tpms.DeviceEk, _tpms.DeviceAk), CancellationToken.None);
        var (secret, run) = await _tpms.Device.ActivateCredentialAsync(Convert.FromBase64String(challenge.Credential));
        Assert.True(secret is not null, run.Describe("tpm2_activatecredential"));
        var issued = await attestor.ActivateAsync(new TpmActivationRequest(challenge.ChallengeId, Proof(secret, challenge.ChallengeId, csr), csr), CancellationToken.None);

        using var certificate = X509Certificate2.CreateFromPem(issued.CertificatePem);
        Assert.Equal("dev-tpm", _h.Ca.VerifyOperational(certificate));
        Assert.Equal("0", Assert.Single((await _h.Store.AuditOfAsync("attestation-tpm")))["outcome"]!.GetValue<string>());
    }

    [Fact]
    public async Task TPM_without_the_enrolled_endorsement_key_cannot_activate_the_credential()
    {
        var attestor = Attestor();
        attestor.RegisterEndorsementKey("dev-tpm", Convert.ToBase64String(_tpms.DeviceEk));
        await _h.Devices.BindToPatientAsync("dev-tpm", "Patient/123", "Practitioner/dr-a", CancellationToken.None);

        // The impostor copies the genuine EK's public part but has only its own TPM.
        var challenge = await attestor.ChallengeAsync(Request(_tpms.DeviceEk, _tpms.ImpostorAk), CancellationToken.None);
        var (secret, _) = await _tpms.Impostor.ActivateCredentialAsync(Convert.FromBase64String(challenge.Credential));
        Assert.Null(secret);

        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-tpm");
        using var __ = key;
        var guess = RandomNumberGenerator.GetBytes(32);
        var error = await Assert.ThrowsAsync<AttestationException>(() =>
            attestor.ActivateAsync(new TpmActivationRequest(challenge.ChallengeId, Proof(guess, challenge.ChallengeId, csr), csr), CancellationToken.None));
        Assert.Equal(AttestationError.TpmCredentialMismatch, error.Error);
        await AssertAudited(error);
    }

    [Fact]
    public async Task Endorsement_key_that_is_not_enrolled_is_refused()
    {
        var error = await Assert.ThrowsAsync<AttestationException>(() => Attestor().ChallengeAsync(Request(_tpms.DeviceEk, _tpms.DeviceAk), CancellationToken.None));

        Assert.Equal(AttestationError.TpmEndorsementKeyUnknown, error.Error);
        await AssertAudited(error);
    }

    [Fact]
    public async Task Attestation_key_that_is_not_a_restricted_signing_key_is_refused()
    {
        var attestor = Attestor();
        attestor.RegisterEndorsementKey("dev-tpm", Convert.ToBase64String(_tpms.DeviceEk));

        var error = await Assert.ThrowsAsync<AttestationException>(() => attestor.ChallengeAsync(Request(_tpms.DeviceEk, _tpms.DeviceEk), CancellationToken.None));

        Assert.Equal(AttestationError.TpmAttestationKeyInvalid, error.Error);
        await AssertAudited(error);
    }

    [Fact]
    public async Task Activated_device_that_is_not_bound_or_replays_the_challenge_is_refused()
    {
        var attestor = Attestor();
        attestor.RegisterEndorsementKey("dev-tpm", Convert.ToBase64String(_tpms.DeviceEk));
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-tpm");
        using var _ = key;
        var challenge = await attestor.ChallengeAsync(Request(_tpms.DeviceEk, _tpms.DeviceAk), CancellationToken.None);
        var (secret, run) = await _tpms.Device.ActivateCredentialAsync(Convert.FromBase64String(challenge.Credential));
        Assert.True(secret is not null, run.Describe("tpm2_activatecredential"));
        var answer = new TpmActivationRequest(challenge.ChallengeId, Proof(secret, challenge.ChallengeId, csr), csr);

        var unbound = await Assert.ThrowsAsync<AttestationException>(() => attestor.ActivateAsync(answer, CancellationToken.None));
        Assert.Equal(AttestationError.DeviceNotBound, unbound.Error);
        await AssertAudited(unbound);

        await _h.Devices.BindToPatientAsync("dev-tpm", "Patient/123", "Practitioner/dr-a", CancellationToken.None);
        var replay = await Assert.ThrowsAsync<AttestationException>(() => attestor.ActivateAsync(answer, CancellationToken.None));
        Assert.Equal(AttestationError.NonceReplayed, replay.Error);
        await AssertAudited(replay);
    }

    [Fact]
    public void Credential_blob_has_the_tpm2_tools_layout()
    {
        var ek = TpmPublic.Parse(_tpms.DeviceEk);
        var ak = TpmPublic.Parse(_tpms.DeviceAk);

        var blob = TpmCredential.Make(ek, ak.Name, new byte[32]);

        Assert.Equal([0xBA, 0xDC, 0xC0, 0xDE, 0, 0, 0, 1], blob[..8]);
        Assert.Equal(8 + 2 + 2 + 32 + 34 + 2 + 256, blob.Length);
        Assert.True(ak.Has(TpmPublic.Restricted | TpmPublic.Sign | TpmPublic.FixedTpm));
        Assert.True(ek.Has(TpmPublic.Restricted | TpmPublic.Decrypt));
    }

    private async Task AssertAudited(AttestationException error)
    {
        var audit = (await _h.Store.AuditOfAsync("attestation-tpm"))[^1];
        Assert.Equal("4", audit["outcome"]!.GetValue<string>());
        Assert.Contains($"\"valueString\":\"{error.Code}\"", audit.ToJsonString(), StringComparison.Ordinal);
    }
}
