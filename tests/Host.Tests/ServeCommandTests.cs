using System.Net;
using PatientStream.Host.Commands;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

public sealed class ServeCommandTests
{
    [Fact]
    public async Task Server_answers_health_on_its_loopback_port()
    {
        using var data = new TempFolder("serve");
        var settings = new ServerSettings(FreePort.Next(), data.Path, "sqlite", null);
        await using var app = ServerHost.Build(settings);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(settings.BaseUrl) };
        using var response = await http.GetAsync(new Uri("/health", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"status\":\"ok\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await app.StopAsync();
    }

    [Fact]
    public async Task Consent_decisions_read_the_consents_stored_through_the_fhir_api()
    {
        using var data = new TempFolder("serve");
        var settings = new ServerSettings(FreePort.Next(), data.Path, "sqlite", null);
        await using var app = ServerHost.Build(settings);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(settings.BaseUrl) };
        const string decide = """{"patient":"Patient/p-42","purpose":"TREAT","codes":["http://loinc.org|8867-4"]}""";

        var before = await PostAsync(http, "/consent/v1/decide", decide, "application/json");
        Assert.Contains("\"decision\":\"deny\"", before, StringComparison.Ordinal);

        const string consent = """
            {"resourceType":"Consent","status":"active",
             "scope":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/consentscope","code":"treatment"}]},
             "category":[{"coding":[{"system":"http://loinc.org","code":"59284-0"}]}],
             "patient":{"reference":"Patient/p-42"},
             "policyRule":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"OPTIN"}]},
             "provision":{"type":"permit"}}
            """;
        using (var created = await http.PostAsync(new Uri("/fhir/Consent", UriKind.Relative), new StringContent(consent, System.Text.Encoding.UTF8, "application/fhir+json")))
        {
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        }

        var after = await PostAsync(http, "/consent/v1/decide", decide, "application/json");
        Assert.Contains("\"decision\":\"permit\"", after, StringComparison.Ordinal);
        Assert.Contains("\"consent\":\"Consent/", after, StringComparison.Ordinal);

        // The decision is audited as a FHIR AuditEvent, queryable through the FHIR API.
        var audit = await http.GetStringAsync(new Uri("/fhir/AuditEvent?_count=50", UriKind.Relative));
        Assert.Contains("\"resourceType\":\"AuditEvent\"", audit, StringComparison.Ordinal);
        await app.StopAsync();
    }

    private static async Task<string> PostAsync(HttpClient http, string path, string body, string mediaType)
    {
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), new StringContent(body, System.Text.Encoding.UTF8, mediaType));
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return text;
    }

    [Theory]
    [InlineData(70000, "sqlite", null, "--port")]
    [InlineData(8080, "mongo", null, "--store")]
    [InlineData(8080, "postgres", null, "--postgres")]
    public void Invalid_server_settings_are_refused_with_the_option_named(int port, string store, string? postgres, string expected)
    {
        var problems = new ServerSettings(port, "/tmp", store, postgres).Problems().ToList();
        Assert.Contains(problems, p => p.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Every_command_describes_itself_in_help()
    {
        foreach (var command in new[] { "serve", "demo", "test", "bench", "edge", "ingest", "simulate", "analytics" })
        {
            var output = new StringWriter();
            var root = new System.CommandLine.RootCommand
            {
                ServeCommand.Create(), DemoCommand.Create(), TestCommand.Create(), BenchCommand.Create(),
                EdgeCommand.Create(), IngestCommand.Create(), SimulateCommand.Create(), AnalyticsCommand.Create(),
            };
            var result = root.Parse([command, "--help"]);
            var exit = await result.InvokeAsync(new System.CommandLine.InvocationConfiguration { Output = output });
            Assert.Equal(0, exit);
            Assert.Contains("Usage:", output.ToString(), StringComparison.Ordinal);
            Assert.Contains(command, output.ToString(), StringComparison.Ordinal);
            Assert.Contains("--", output.ToString(), StringComparison.Ordinal);
        }
    }
}
