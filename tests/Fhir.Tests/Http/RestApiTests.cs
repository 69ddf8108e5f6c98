using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace PatientStream.Fhir.Tests.Http;

public sealed class RestApiTests(FhirServerFixture server) : IClassFixture<FhirServerFixture>
{
    private readonly HttpClient _client = server.Client;

    private static StringContent Fhir(string json) => new(json, Encoding.UTF8, "application/fhir+json");

    private static async Task<JsonObject> BodyAsync(HttpResponseMessage response) =>
        (JsonObject)JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

    private async Task<JsonObject> CreateAsync(string json)
    {
        using var response = await _client.PostAsync(JsonNode.Parse(json)!["resourceType"]!.GetValue<string>(), Fhir(json));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return await BodyAsync(response);
    }

    [Fact]
    public async Task Metadata_is_a_capability_statement_listing_resources_and_search_parameters()
    {
        using var response = await _client.GetAsync("metadata");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/fhir+json", response.Content.Headers.ContentType!.MediaType);
        var body = await BodyAsync(response);
        Assert.Equal("CapabilityStatement", body["resourceType"]!.GetValue<string>());
        var observation = body["rest"]![0]!["resource"]!.AsArray().Single(r => r!["type"]!.GetValue<string>() == "Observation")!;
        var names = observation["searchParam"]!.AsArray().Select(p => p!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("patient", names);
        Assert.Contains("code", names);
        Assert.DoesNotContain("code-value-quantity", names);
    }

    [Fact]
    public async Task Create_returns_201_with_location_etag_and_last_modified()
    {
        using var response = await _client.PostAsync("Patient", Fhir("""{"resourceType":"Patient","active":true}"""));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await BodyAsync(response);
        var id = body["id"]!.GetValue<string>();
        Assert.EndsWith($"/fhir/Patient/{id}/_history/1", response.Headers.Location!.ToString(), StringComparison.Ordinal);
        Assert.Equal("W/\"1\"", response.Headers.ETag!.ToString());
        Assert.NotNull(response.Content.Headers.LastModified);

        using var read = await _client.GetAsync($"Patient/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("W/\"1\"", read.Headers.ETag!.ToString());
    }

    [Fact]
    public async Task Delete_then_read_is_410_gone_and_vread_of_old_version_still_works()
    {
        var id = (await CreateAsync("""{"resourceType":"Patient"}"""))["id"]!.GetValue<string>();
        using var delete = await _client.DeleteAsync($"Patient/{id}");
        Assert.Equal(HttpStatusCode.NoContent, delete.StatusCode);
        using var read = await _client.GetAsync($"Patient/{id}");
        Assert.Equal(HttpStatusCode.Gone, read.StatusCode);
        Assert.Equal("OperationOutcome", (await BodyAsync(read))["resourceType"]!.GetValue<string>());
        using var vread = await _client.GetAsync($"Patient/{id}/_history/1");
        Assert.Equal(HttpStatusCode.OK, vread.StatusCode);
        using var history = await _client.GetAsync($"Patient/{id}/_history");
        Assert.Equal(2, (await BodyAsync(history))["total"]!.GetValue<int>());
    }

    [Fact]
    public async Task Update_with_stale_if_match_is_412()
    {
        using var put = await _client.PutAsync("Patient/etag-1", Fhir("""{"resourceType":"Patient","id":"etag-1"}"""));
        Assert.Equal(HttpStatusCode.Created, put.StatusCode);
        using var second = new HttpRequestMessage(HttpMethod.Put, "Patient/etag-1") { Content = Fhir("""{"resourceType":"Patient","id":"etag-1","active":true}""") };
        second.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\"", isWeak: true));
        using var ok = await _client.SendAsync(second);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        using var stale = new HttpRequestMessage(HttpMethod.Put, "Patient/etag-1") { Content = Fhir("""{"resourceType":"Patient","id":"etag-1","active":false}""") };
        stale.Headers.IfMatch.Add(new EntityTagHeaderValue("\"1\"", isWeak: true));
        using var conflict = await _client.SendAsync(stale);
        Assert.Equal(HttpStatusCode.PreconditionFailed, conflict.StatusCode);
    }

    [Theory]
    [InlineData("{\"resourceType\":\"Patient\",", "MALFORMED_JSON", "")]
    [InlineData("{\"resourceType\":\"Patient\",\"active\":true,\"active\":false}", "MALFORMED_JSON", "")]
    [InlineData("{\"resourceType\":\"Patient\",\"birthDate\":\"1999-02-31\"}", "INVALID_PRIMITIVE", "Patient.birthDate")]
    [InlineData("{\"resourceType\":\"Patient\",\"name\":[{\"family\":1}]}", "WRONG_JSON_TYPE", "Patient.name[0].family")]
    public async Task Bad_bodies_are_400_with_an_operation_outcome_naming_the_element(string body, string code, string expression)
    {
        using var response = await _client.PostAsync("Patient", Fhir(body));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var outcome = await BodyAsync(response);
        Assert.Equal("OperationOutcome", outcome["resourceType"]!.GetValue<string>());
        var issue = outcome["issue"]![0]!;
        Assert.Equal(code, issue["details"]!["coding"]![0]!["code"]!.GetValue<string>());
        if (expression.Length > 0)
        {
            Assert.Equal(expression, issue["expression"]![0]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Conditional_create_with_if_none_exist_returns_the_existing_resource()
    {
        const string body = """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"http-cc"}]}""";
        using var first = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = Fhir(body) };
        first.Headers.Add("If-None-Exist", "identifier=urn:mrn|http-cc");
        using var created = await _client.SendAsync(first);
        using var again = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = Fhir(body) };
        again.Headers.Add("If-None-Exist", "identifier=urn:mrn|http-cc");
        using var existing = await _client.SendAsync(again);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, existing.StatusCode);
        Assert.Equal((await BodyAsync(created))["id"]!.GetValue<string>(), (await BodyAsync(existing))["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task Search_pages_follow_next_links_to_the_end_and_post_search_matches_get()
    {
        var patient = (await CreateAsync("""{"resourceType":"Patient"}"""))["id"]!.GetValue<string>();
        for (var i = 0; i < 5; i++)
        {
            await CreateAsync($$$"""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"reference":"Patient/{{{patient}}}"},"effectiveDateTime":"2026-11-2{{{i}}}"}""");
        }

        var ids = new List<string>();
        var url = $"Observation?patient={patient}&_count=2&_sort=-date";
        while (url is not null)
        {
            using var page = await _client.GetAsync(url);
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            var bundle = await BodyAsync(page);
            Assert.Equal(5, bundle["total"]!.GetValue<int>());
            ids.AddRange(bundle["entry"]!.AsArray().Select(e => e!["resource"]!["id"]!.GetValue<string>()));
            url = bundle["link"]!.AsArray().FirstOrDefault(l => l!["relation"]!.GetValue<string>() == "next")?["url"]!.GetValue<string>();
        }

        Assert.Equal(5, ids.Distinct().Count());
        using var post = await _client.PostAsync("Observation/_search", new FormUrlEncodedContent([new("patient", patient), new("_sort", "-date"), new("_count", "10")]));
        var posted = await BodyAsync(post);
        Assert.Equal(ids, posted["entry"]!.AsArray().Select(e => e!["resource"]!["id"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Prefer_return_minimal_and_operation_outcome()
    {
        using var minimal = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = Fhir("""{"resourceType":"Patient"}""") };
        minimal.Headers.Add("Prefer", "return=minimal");
        using var m = await _client.SendAsync(minimal);
        Assert.Equal(HttpStatusCode.Created, m.StatusCode);
        Assert.Empty(await m.Content.ReadAsByteArrayAsync());
        Assert.NotNull(m.Headers.Location);

        using var oo = new HttpRequestMessage(HttpMethod.Post, "Patient") { Content = Fhir("""{"resourceType":"Patient"}""") };
        oo.Headers.Add("Prefer", "return=OperationOutcome");
        using var o = await _client.SendAsync(oo);
        Assert.Equal("OperationOutcome", (await BodyAsync(o))["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Responses_are_gzipped_when_the_client_accepts_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "metadata");
        request.Headers.AcceptEncoding.Add(new StringWithQualityHeaderValue("gzip"));
        using var response = await _client.SendAsync(request);
        Assert.Contains("gzip", response.Content.Headers.ContentEncoding);
        await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        var body = await JsonNode.ParseAsync(gzip);
        Assert.Equal("CapabilityStatement", body!["resourceType"]!.GetValue<string>());
    }

    [Fact]
    public async Task Unsupported_format_unknown_route_and_strict_unknown_parameter_are_operation_outcomes()
    {
        using var xml = await _client.GetAsync("metadata?_format=xml");
        Assert.Equal(HttpStatusCode.NotAcceptable, xml.StatusCode);
        using var unescaped = await _client.GetAsync("metadata?_format=application/fhir+json");
        Assert.Equal(HttpStatusCode.OK, unescaped.StatusCode);
        using var unknownType = await _client.GetAsync("NotAType/1");
        Assert.Equal(HttpStatusCode.NotFound, unknownType.StatusCode);
        using var route = await _client.GetAsync("Patient/1/2/3/4");
        Assert.Equal(HttpStatusCode.NotFound, route.StatusCode);
        Assert.Equal("OperationOutcome", (await BodyAsync(route))["resourceType"]!.GetValue<string>());

        using var strict = new HttpRequestMessage(HttpMethod.Get, "Patient?bogus=1");
        strict.Headers.Add("Prefer", "handling=strict");
        using var s = await _client.SendAsync(strict);
        Assert.Equal(HttpStatusCode.BadRequest, s.StatusCode);
        using var lenient = await _client.GetAsync("Patient?bogus=1&_count=1");
        var bundle = await BodyAsync(lenient);
        Assert.Contains(bundle["entry"]!.AsArray(), e => e!["search"]!["mode"]!.GetValue<string>() == "outcome");
    }

    [Fact]
    public async Task Transaction_bundle_over_http_and_patient_everything()
    {
        using var response = await _client.PostAsync(string.Empty, Fhir("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:aaaaaaaa-1111-4111-8111-111111111111","resource":{"resourceType":"Patient","name":[{"family":"Everything"}]},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Observation","status":"final","code":{"text":"hr"},"subject":{"reference":"urn:uuid:aaaaaaaa-1111-4111-8111-111111111111"}},"request":{"method":"POST","url":"Observation"}}]}
            """));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var bundle = await BodyAsync(response);
        var patient = bundle["entry"]![0]!["resource"]!["id"]!.GetValue<string>();
        using var everything = await _client.GetAsync($"Patient/{patient}/$everything");
        var all = await BodyAsync(everything);
        Assert.Equal(2, all["total"]!.GetValue<int>());
    }
}
