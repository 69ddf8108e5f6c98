using System.Text;
using System.Text.Json.Nodes;
using PatientStream.Fhir.Tests.Http;

namespace PatientStream.Fhir.Tests.External;

/// <summary>Checks by tools outside this code base: a real npm FHIR client, and ajv with the official schema.</summary>
public sealed class ExternalChecksTests(FhirServerFixture server) : IClassFixture<FhirServerFixture>
{
    private static CancellationToken Deadline => new CancellationTokenSource(TimeSpan.FromMinutes(3)).Token;

    [Fact]
    public async Task Fhir_kit_client_creates_searches_pages_and_posts_transactions()
    {
        var (code, output) = await NodeChecks.RunAsync("client-check.mjs", [server.BaseAddress.ToString().TrimEnd('/')], Deadline);
        Assert.True(code == 0, output);
        var results = JsonNode.Parse(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^1])!.AsObject();
        Assert.Equal(7, results.Count);
        Assert.All(results, r => Assert.Equal("ok", r.Value!.GetValue<string>()));
    }

    [Fact]
    public async Task Schema_check_rejects_an_invalid_resource()
    {
        var file = Path.Combine(Path.GetTempPath(), $"ps-fhir-invalid-{Guid.NewGuid():N}.ndjson");
        await File.WriteAllTextAsync(file, """{"resourceType":"Patient","gender":5}""" + "\n");
        try
        {
            var (code, output) = await NodeChecks.RunAsync("schema-check.mjs", [file], Deadline);
            Assert.Equal(1, code);
            Assert.Contains("gender", output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Every_kind_of_response_validates_against_the_official_schema()
    {
        var client = server.Client;
        static StringContent Fhir(string json) => new(json, Encoding.UTF8, "application/fhir+json");
        (await client.GetAsync("metadata")).Dispose();
        using var created = await client.PostAsync("Patient", Fhir("""{"resourceType":"Patient","name":[{"family":"Schema"}],"birthDate":"1970"}"""));
        var id = JsonNode.Parse(await created.Content.ReadAsStringAsync())!["id"]!.GetValue<string>();
        (await client.PutAsync($"Patient/{id}", Fhir($$$"""{"resourceType":"Patient","id":"{{{id}}}","active":true}"""))).Dispose();
        (await client.GetAsync($"Patient/{id}")).Dispose();
        (await client.GetAsync($"Patient/{id}/_history")).Dispose();
        (await client.GetAsync("Patient/_history")).Dispose();
        (await client.GetAsync("Patient?family=schema&_count=1&_total=accurate&unknown=1")).Dispose();
        (await client.GetAsync($"Patient?_id={id}&_elements=name")).Dispose();
        (await client.GetAsync($"Patient?_id={id}&_summary=true")).Dispose();
        (await client.PostAsync("Patient", Fhir("""{"resourceType":"Patient","gender":"?"}"""))).Dispose();
        (await client.PostAsync("Patient", Fhir("""{"""))).Dispose();
        (await client.PostAsync(string.Empty, Fhir($$$"""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"request":{"method":"GET","url":"Patient/{{{id}}}"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{id}}}"}},"request":{"method":"POST","url":"Observation"}},
              {"resource":{"resourceType":"Observation","status":"nope","code":{"text":"x"}},"request":{"method":"POST","url":"Observation"}}]}
            """))).Dispose();
        (await client.GetAsync($"Patient/{id}/$everything")).Dispose();
        (await client.DeleteAsync($"Patient/{id}")).Dispose();
        (await client.GetAsync($"Patient/{id}")).Dispose();

        var (code, report) = await server.Recorder.CheckSchemaAsync(Deadline);
        Assert.True(code == 0, report);
        Assert.True(JsonNode.Parse(report)!["checked"]!.GetValue<int>() >= 14, report);
    }
}
