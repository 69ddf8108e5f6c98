using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Consent.Client;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Http;

public sealed class AttestationApiTests : ConsentServerTest
{
    private readonly Manufacturer _maker;

    public AttestationApiTests() => _maker = new Manufacturer("Acme Medical", Clock.GetUtcNow());

    protected override IReadOnlyList<string> ManufacturerRoots => [_maker.RootPem];

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _maker.Dispose();
        }

        base.Dispose(disposing);
    }

    [Fact]
    public async Task Device_enrolls_over_HTTP_and_its_revocation_reaches_the_CRL_and_the_edge_list()
    {
        using var device = _maker.MakeDevice("dev-7", Clock.GetUtcNow().AddDays(-1), Clock.GetUtcNow().AddYears(3));
        await Send(HttpMethod.Put, "consent/v1/devices/dev-7/binding", """{"patient":"Patient/123","clinician":"Practitioner/dr-a"}""", HttpStatusCode.OK);

        var issued = await Enroll(device, HttpStatusCode.OK);
        var caPem = await Http.GetStringAsync("attestation/v1/ca");
        using var certificate = X509Certificate2.CreateFromPem(issued["certificatePem"]!.GetValue<string>());
        using var ca = X509Certificate2.CreateFromPem(caPem);
        Assert.Equal(ca.Subject, certificate.Issuer);

        var revoked = await Send(HttpMethod.Post, "attestation/v1/revoke", """{"device":"dev-7","reason":"reported lost","by":"Practitioner/dr-a"}""", HttpStatusCode.OK);
        Assert.Equal(issued["serial"]!.GetValue<string>(), revoked["revokedSerials"]![0]!.GetValue<string>());

        var crl = CertificateRevocationListBuilder.LoadPem(await Http.GetStringAsync("attestation/v1/crl"), out _);
        Assert.True(crl.RemoveEntry(Convert.FromHexString(issued["serial"]!.GetValue<string>())));
        var list = await Http.GetFromJsonAsync<JsonNode>("attestation/v1/revocations");
        Assert.Equal("dev-7", list!["devices"]![0]!["deviceId"]!.GetValue<string>());

        var edge = new RevocationListClient(Http, Clock, TimeSpan.FromMinutes(10));
        Assert.True(await edge.RefreshAsync(CancellationToken.None));
        Assert.True(edge.IsRevoked("dev-7"));
        Assert.False(edge.IsRevoked("dev-other"));
        Clock.Advance(TimeSpan.FromMinutes(11));
        Assert.True(edge.IsRevoked("dev-other"));

        var refused = await Enroll(device, HttpStatusCode.Forbidden);
        Assert.Equal("device-revoked", refused["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.Single((await Store.AuditOfAsync("certificate-revoked")));
    }

    [Fact]
    public async Task Revoked_device_is_denied_even_if_rebound_until_it_is_reinstated()
    {
        await Store.PutConsentAsync(Policy.ConsentBuilder.Given("c1", Policy.ProvisionBuilder.Permit()));
        using var device = _maker.MakeDevice("dev-9", Clock.GetUtcNow().AddDays(-1), Clock.GetUtcNow().AddYears(3));
        const string Binding = """{"patient":"Patient/123","clinician":"Practitioner/dr-a"}""";
        const string Decide = """{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"device":"Device/dev-9"}""";
        await Send(HttpMethod.Put, "consent/v1/devices/dev-9/binding", Binding, HttpStatusCode.OK);
        await Enroll(device, HttpStatusCode.OK);
        await Send(HttpMethod.Post, "attestation/v1/revoke", """{"device":"dev-9","reason":"tampered","by":"Practitioner/dr-a"}""", HttpStatusCode.OK);

        var rebound = await Send(HttpMethod.Put, "consent/v1/devices/dev-9/binding", Binding, HttpStatusCode.OK);
        Assert.Equal("inactive", rebound["status"]!.GetValue<string>());
        var denied = await Send(HttpMethod.Post, "consent/v1/decide", Decide, HttpStatusCode.OK);
        Assert.Equal("deny", denied["decision"]!.GetValue<string>());
        Assert.Equal("Device/dev-9 is revoked", denied["reasons"]![0]!.GetValue<string>());

        await Send(HttpMethod.Post, "attestation/v1/reinstate", """{"device":"dev-9","by":"Practitioner/dr-a"}""", HttpStatusCode.OK);
        Assert.Equal("permit", (await Send(HttpMethod.Post, "consent/v1/decide", Decide, HttpStatusCode.OK))["decision"]!.GetValue<string>());
        await Enroll(device, HttpStatusCode.OK);
        Assert.Single((await Store.AuditOfAsync("device-reinstated")));
    }

    [Fact]
    public async Task Refused_attestation_is_a_401_OperationOutcome_with_its_code()
    {
        using var device = _maker.MakeDevice("dev-8", Clock.GetUtcNow().AddDays(-1), Clock.GetUtcNow().AddYears(3));
        using var impostorKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);

        var outcome = await Enroll(device with { Key = impostorKey }, HttpStatusCode.Unauthorized);

        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.Equal("wrong-signature", outcome["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("attestation/v1/x509/enroll", "{}")]
    [InlineData("attestation/v1/x509/enroll", "nonsense")]
    [InlineData("attestation/v1/tpm/challenge", """{"deviceId":"dev-1"}""")]
    [InlineData("attestation/v1/revoke", """{"device":"dev-1"}""")]
    public async Task Malformed_attestation_request_is_a_400(string path, string body)
    {
        var outcome = await Send(HttpMethod.Post, path, body, HttpStatusCode.BadRequest);

        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
    }

    private async Task<JsonNode> Enroll(ManufacturedDevice device, HttpStatusCode expected)
    {
        var nonce = (await Send(HttpMethod.Post, "attestation/v1/nonce", "", HttpStatusCode.OK))["nonce"]!.GetValue<string>();
        var (key, csr) = DeviceKeys.NewKeyAndCsr(device.DeviceId);
        using var _ = key;
        var request = EnrollmentHarness.Request(device, nonce, csr);
        return await Send(HttpMethod.Post, "attestation/v1/x509/enroll", System.Text.Json.JsonSerializer.Serialize(request, System.Text.Json.JsonSerializerOptions.Web), expected);
    }

    private async Task<JsonNode> Send(HttpMethod method, string path, string body, HttpStatusCode expected)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
