using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Consent.Tests.Fixtures;
using PatientStream.Consent.Tests.Policy;
using P = PatientStream.Consent.Tests.Policy.ProvisionBuilder;
using PatientStream.Testing;

namespace PatientStream.Consent.Tests.Http;

public sealed class ConsentApiTests : ConsentServerTest
{
    [Fact]
    public async Task Decide_answers_per_code_with_the_consent_and_provision_that_decided()
    {
        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit().Id("base").Nested(P.Deny().Id("no-bp").Code("http://loinc.org", "8480-6"))));

        var response = await Http.PostAsync("consent/v1/decide", Json("""
            {"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4","http://loinc.org|8480-6"],
             "actor":"Organization/x","dataTime":"2026-11-21T10:00:04Z"}
            """));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject();
        Assert.Equal(["decision", "codes", "reasons"], body.Select(p => p.Key));
        Assert.Equal("partial", body["decision"]!.GetValue<string>());
        Assert.Equal(
            """[{"code":"http://loinc.org|8867-4","decision":"permit","consent":"Consent/c1","provision":"base"},{"code":"http://loinc.org|8480-6","decision":"deny","consent":"Consent/c1","provision":"no-bp"}]""",
            body["codes"]!.ToJsonString());
        Assert.NotEmpty(body["reasons"]!.AsArray());
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[]", "JSON object")]
    [InlineData("""{"purpose":"TREAT","codes":["http://loinc.org|8867-4"]}""", "patient is required")]
    [InlineData("""{"patient":"123","purpose":"TREAT","codes":["http://loinc.org|8867-4"]}""", "patient is required")]
    [InlineData("""{"patient":"Patient/123","codes":["http://loinc.org|8867-4"]}""", "purpose is required")]
    [InlineData("""{"patient":"Patient/123","purpose":7,"codes":["http://loinc.org|8867-4"]}""", "purpose must be a string")]
    [InlineData("""{"patient":"Patient/123","purpose":"TREAT"}""", "codes is required")]
    [InlineData("""{"patient":"Patient/123","purpose":"TREAT","codes":[]}""", "codes is required")]
    [InlineData("""{"patient":"Patient/123","purpose":"TREAT","codes":["8867-4"]}""", "codes[0]")]
    [InlineData("""{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"device":"dev-1"}""", "device must be")]
    [InlineData("""{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"dataTime":"yesterday"}""", "dataTime must be")]
    [InlineData("""{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"dataTime":"2026-11-21T10:00:04"}""", "dataTime must be")]
    public async Task Malformed_request_is_a_400_with_the_reason(string body, string reason)
    {
        var response = await Http.PostAsync("consent/v1/decide", Json(body));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        Assert.Contains(reason, outcome["issue"]![0]!["diagnostics"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reading_from_a_device_bound_to_another_patient_is_denied()
    {
        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit()));
        await Put("consent/v1/devices/dev-1/binding", """{"patient":"Patient/999","clinician":"Practitioner/dr-a"}""");

        var decision = await Decide("""{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"device":"Device/dev-1"}""");

        Assert.Equal("deny", decision["decision"]!.GetValue<string>());
        Assert.Contains("not bound to Patient/123", decision["reasons"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Binding_and_unbinding_a_device_is_stored_as_a_FHIR_Device_and_audited()
    {
        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit()));
        const string Request = """{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"device":"Device/dev-1"}""";

        var bound = await Put("consent/v1/devices/dev-1/binding", """{"patient":"Patient/123","clinician":"Practitioner/dr-a"}""");
        Assert.Equal("Device/dev-1", bound["reference"]!.GetValue<string>());
        Assert.Equal("permit", (await Decide(Request))["decision"]!.GetValue<string>());

        using var unbind = new HttpRequestMessage(HttpMethod.Delete, "consent/v1/devices/dev-1/binding") { Content = Json("""{"clinician":"Practitioner/dr-a"}""") };
        Assert.Equal(HttpStatusCode.OK, (await Http.SendAsync(unbind)).StatusCode);
        Assert.Equal("deny", (await Decide(Request))["decision"]!.GetValue<string>());

        var device = (await Store.Records.FindDeviceAsync("dev-1", CancellationToken.None))!.Value;
        Assert.Equal("Device", device.GetProperty("resourceType").GetString());
        Assert.False(device.TryGetProperty("patient", out _));
        Assert.Single((await Store.AuditOfAsync("device-bound")));
        Assert.Single((await Store.AuditOfAsync("device-unbound")));
    }

    [Fact]
    public async Task Repeated_decisions_are_audited_once_per_change_and_period()
    {
        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit()));
        await Put("consent/v1/devices/dev-1/binding", """{"patient":"Patient/123","clinician":"Practitioner/dr-a"}""");
        const string Request = """{"patient":"Patient/123","purpose":"TREAT","codes":["http://loinc.org|8867-4"],"device":"Device/dev-1"}""";

        for (var i = 0; i < 25; i++)
        {
            await Decide(Request);
        }

        Assert.Single((await Store.AuditOfAsync("consent-decision")));

        await Store.PutConsentAsync(ConsentBuilder.Given("c1", P.Permit(), status: "inactive"));
        await Decide(Request);
        await Decide(Request);

        // The change closes the permit run (24 more permits) and opens the deny run.
        var events = (await Store.AuditOfAsync("consent-decision")).ToList();
        Assert.Equal(3, events.Count);
        Assert.Equal(("permit", "1"), (Detail(events[0], "decision"), Detail(events[0], "count")));
        Assert.Equal(("permit", "24"), (Detail(events[1], "decision"), Detail(events[1], "count")));
        Assert.Equal(("deny", "1"), (Detail(events[2], "decision"), Detail(events[2], "count")));

        Clock.Advance(TimeSpan.FromMinutes(15));
        await Decide(Request);
        events = (await Store.AuditOfAsync("consent-decision")).ToList();
        Assert.Equal(4, events.Count);
        Assert.Equal(("deny", "2"), (Detail(events[3], "decision"), Detail(events[3], "count")));

        await Decide(Request);
        var auditor = (Audit.DecisionAuditor)Server.Services.GetService(typeof(Audit.DecisionAuditor))!;
        await auditor.FlushAsync(all: true, CancellationToken.None);
        events = (await Store.AuditOfAsync("consent-decision")).ToList();
        Assert.Equal(5, events.Count);
        Assert.Equal(("deny", "1"), (Detail(events[4], "decision"), Detail(events[4], "count")));
    }

    private static string Detail(JsonObject auditEvent, string type) =>
        auditEvent["entity"]![0]!["detail"]!.AsArray().Single(d => d!["type"]!.GetValue<string>() == type)!["valueString"]!.GetValue<string>();

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private async Task<JsonNode> Decide(string body)
    {
        var response = await Http.PostAsync("consent/v1/decide", Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }

    private async Task<JsonNode> Put(string path, string body)
    {
        var response = await Http.PutAsync(path, Json(body));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonNode>())!;
    }
}
