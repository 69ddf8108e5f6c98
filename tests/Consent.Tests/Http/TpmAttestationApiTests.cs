using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using PatientStream.Consent.Attestation;
using PatientStream.Consent.Tests.Attestation;
using PatientStream.Consent.Tests.Fixtures;

namespace PatientStream.Consent.Tests.Http;

/// <summary>The TPM enrollment over HTTP, with a real software TPM on the device side.</summary>
public sealed class TpmAttestationApiTests(SoftwareTpmPair tpms) : ConsentServerTest, IClassFixture<SoftwareTpmPair>
{
    private readonly SoftwareTpmPair _tpms = tpms;

    [Fact]
    public async Task Enrolled_TPM_activates_its_credential_and_receives_a_certificate_over_HTTP()
    {
        var ek = Convert.ToBase64String(_tpms.DeviceEk);
        var ak = Convert.ToBase64String(_tpms.DeviceAk);
        await Post("attestation/v1/tpm/enrollments", new JsonObject { ["device"] = "dev-tpm", ["endorsementKey"] = ek }, HttpStatusCode.OK);
        await Send(HttpMethod.Put, "consent/v1/devices/dev-tpm/binding", new JsonObject { ["patient"] = "Patient/123", ["clinician"] = "Practitioner/dr-a" }, HttpStatusCode.OK);

        var challenge = await Post("attestation/v1/tpm/challenge", new JsonObject { ["deviceId"] = "dev-tpm", ["endorsementKey"] = ek, ["attestationKey"] = ak }, HttpStatusCode.OK);
        var challengeId = challenge["challengeId"]!.GetValue<string>();
        var (secret, run) = await _tpms.Device.ActivateCredentialAsync(Convert.FromBase64String(challenge["credential"]!.GetValue<string>()));
        Assert.True(secret is not null, run.Describe("tpm2_activatecredential"));
        var (key, csr) = DeviceKeys.NewKeyAndCsr("dev-tpm");
        using var _ = key;
        var proof = Convert.ToBase64String(HMACSHA256.HashData(secret, AttestationProof.Message(challengeId, csr)));

        var issued = await Post("attestation/v1/tpm/activate", new JsonObject { ["challengeId"] = challengeId, ["proof"] = proof, ["csrPem"] = csr }, HttpStatusCode.OK);

        using var certificate = X509Certificate2.CreateFromPem(issued["certificatePem"]!.GetValue<string>());
        Assert.Equal("dev-tpm", certificate.GetNameInfo(X509NameType.SimpleName, false));
        var replay = await Post("attestation/v1/tpm/activate", new JsonObject { ["challengeId"] = challengeId, ["proof"] = proof, ["csrPem"] = csr }, HttpStatusCode.Unauthorized);
        Assert.Equal("nonce-replayed", replay["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unenrolled_endorsement_key_is_a_401()
    {
        var outcome = await Post("attestation/v1/tpm/challenge", new JsonObject
        {
            ["deviceId"] = "dev-tpm",
            ["endorsementKey"] = Convert.ToBase64String(_tpms.DeviceEk),
            ["attestationKey"] = Convert.ToBase64String(_tpms.DeviceAk),
        }, HttpStatusCode.Unauthorized);

        Assert.Equal("tpm-endorsement-key-unknown", outcome["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
    }

    private Task<JsonNode> Post(string path, JsonObject body, HttpStatusCode expected) => Send(HttpMethod.Post, path, body, expected);

    private async Task<JsonNode> Send(HttpMethod method, string path, JsonObject body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = JsonContent.Create(body) };
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
