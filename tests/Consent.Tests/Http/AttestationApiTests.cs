using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Consent.Tests.Fixtures;

namespace PatientStream.Consent.Tests.Http;

public sealed class AttestationApiTests : IAsyncLifetime, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordedConsentRecords _records = new();
    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 11, 21, 12, 0, 0, TimeSpan.Zero));
    private readonly Manufacturer _maker;
    private ConsentServer _server = null!;
    private HttpClient _http = null!;

    public AttestationApiTests() => _maker = new Manufacturer("Acme Medical", _clock.GetUtcNow());

    public async Task InitializeAsync()
    {
        _server = await ConsentServer.StartAsync(_records, _clock, _dir.File("ca"), [_maker.RootPem]);
        _http = _server.Client();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
    }

    public void Dispose()
    {
        _maker.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public async Task Device_enrolls_over_HTTP_and_its_revocation_reaches_the_CRL_and_the_edge_list()
    {
        using var device = _maker.MakeDevice("dev-7", _clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddYears(3));
        await Send(HttpMethod.Put, "consent/v1/devices/dev-7/binding", """{"patient":"Patient/123","clinician":"Practitioner/dr-a"}""", HttpStatusCode.OK);

        var issued = await Enroll(device, HttpStatusCode.OK);
        var caPem = await _http.GetStringAsync("attestation/v1/ca");
        using var certificate = X509Certificate2.CreateFromPem(issued["certificatePem"]!.GetValue<string>());
        using var ca = X509Certificate2.CreateFromPem(caPem);
        Assert.Equal(ca.Subject, certificate.Issuer);

        var revoked = await Send(HttpMethod.Post, "attestation/v1/revoke", """{"device":"dev-7","reason":"reported lost","by":"Practitioner/dr-a"}""", HttpStatusCode.OK);
        Assert.Equal(issued["serial"]!.GetValue<string>(), revoked["revokedSerials"]![0]!.GetValue<string>());

        var crl = CertificateRevocationListBuilder.LoadPem(await _http.GetStringAsync("attestation/v1/crl"), out _);
        Assert.True(crl.RemoveEntry(Convert.FromHexString(issued["serial"]!.GetValue<string>())));
        var list = await _http.GetFromJsonAsync<JsonNode>("attestation/v1/revocations");
        Assert.Equal("dev-7", list!["devices"]![0]!["deviceId"]!.GetValue<string>());

        var refused = await Enroll(device, HttpStatusCode.Forbidden);
        Assert.Equal("device-revoked", refused["issue"]![0]!["details"]!["coding"]![0]!["code"]!.GetValue<string>());
        Assert.Single(_records.AuditOf("certificate-revoked"));
    }

    [Fact]
    public async Task Refused_attestation_is_a_401_OperationOutcome_with_its_code()
    {
        using var device = _maker.MakeDevice("dev-8", _clock.GetUtcNow().AddDays(-1), _clock.GetUtcNow().AddYears(3));
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
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"{method} {path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
