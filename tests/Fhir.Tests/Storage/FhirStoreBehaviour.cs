using System.Net;
using PatientStream.Fhir.Errors;

namespace PatientStream.Fhir.Tests.Storage;

/// <summary>The behaviour every store must have; one subclass per store runs it unchanged.</summary>
public abstract class FhirStoreBehaviour : StoreTestBase
{
    [Fact]
    public async Task Create_assigns_id_and_meta_and_keeps_content_exactly()
    {
        var outcome = await Service.CreateAsync(Json("""
            {"resourceType":"Observation","status":"final","code":{"text":"x"},"valueQuantity":{"value":1.50,"unit":"kg"},
             "_status":{"extension":[{"url":"http://example.org/why","valueString":"because"}]},"meta":{"tag":[{"code":"t1"}]}}
            """));
        Assert.Equal(HttpStatusCode.Created, outcome.Status);
        var stored = await Service.ReadAsync("Observation", outcome.Resource!.Id, CancellationToken.None);
        var json = Json(stored.Json);
        Assert.Equal(outcome.Resource.Id, json["id"]!.GetValue<string>());
        Assert.Equal("1", json["meta"]!["versionId"]!.GetValue<string>());
        Assert.Equal("t1", json["meta"]!["tag"]![0]!["code"]!.GetValue<string>());
        Assert.NotNull(json["meta"]!["lastUpdated"]);
        Assert.Contains("\"value\":1.50", stored.Json, StringComparison.Ordinal);
        Assert.Equal("because", json["_status"]!["extension"]![0]!["valueString"]!.GetValue<string>());
    }

    [Fact]
    public async Task Update_creates_on_update_then_increments_version_and_keeps_history()
    {
        var first = await Service.UpdateAsync("Patient", "pat-1", Json("""{"resourceType":"Patient","id":"pat-1","active":true}"""));
        Assert.Equal(HttpStatusCode.Created, first.Status);
        var second = await Service.UpdateAsync("Patient", "pat-1", Json("""{"resourceType":"Patient","id":"pat-1","active":false}"""));
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(2, second.Resource!.VersionId);

        var v1 = await Service.VReadAsync("Patient", "pat-1", "1", CancellationToken.None);
        Assert.True(Json(v1.Json)["active"]!.GetValue<bool>());
        var history = await Service.HistoryAsync("Patient", "pat-1", null, 10, CancellationToken.None);
        Assert.Equal(new long[] { 2, 1 }, history.Select(h => h.VersionId));
    }

    [Fact]
    public async Task Update_with_stale_if_match_fails_with_a_version_conflict()
    {
        await Service.UpdateAsync("Patient", "pat-2", Json("""{"resourceType":"Patient","id":"pat-2"}"""));
        await Service.UpdateAsync("Patient", "pat-2", Json("""{"resourceType":"Patient","id":"pat-2","active":true}"""), "W/\"1\"");
        var ex = await Assert.ThrowsAsync<VersionConflictException>(() =>
            Service.UpdateAsync("Patient", "pat-2", Json("""{"resourceType":"Patient","id":"pat-2","active":false}"""), "W/\"1\""));
        Assert.Equal(HttpStatusCode.PreconditionFailed, ex.Status);
    }

    [Fact]
    public async Task Delete_makes_read_gone_and_removes_the_resource_from_search()
    {
        var id = await CreatePatientAsync("Gone");
        await Service.DeleteAsync("Patient", id);
        await Assert.ThrowsAsync<ResourceGoneException>(() => Service.ReadAsync("Patient", id, CancellationToken.None));
        Assert.Empty(await SearchIdsAsync("Patient", "family=Gone"));
        await Assert.ThrowsAsync<ResourceNotFoundException>(() => Service.ReadAsync("Patient", "never-was", CancellationToken.None));
    }

    [Fact]
    public async Task Invalid_resource_is_rejected_with_every_issue()
    {
        var ex = await Assert.ThrowsAsync<ResourceValidationException>(() => Service.CreateAsync(Json("""{"resourceType":"Patient","gender":"x","foo":1}""")));
        Assert.Equal(new[] { "Patient.foo", "Patient.gender" }, ex.Issues.Select(i => i.Expression).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Conditional_create_returns_the_existing_match()
    {
        var body = """{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"cc-1"}]}""";
        var first = await Service.CreateAsync(Json(body), "identifier=urn:mrn|cc-1");
        var second = await Service.CreateAsync(Json(body), "identifier=urn:mrn|cc-1");
        Assert.Equal(HttpStatusCode.Created, first.Status);
        Assert.Equal(HttpStatusCode.OK, second.Status);
        Assert.Equal(first.Resource!.Id, second.Resource!.Id);
    }

    [Fact]
    public async Task Conditional_update_updates_the_single_match_and_creates_when_none()
    {
        var created = await Service.ConditionalUpdateAsync("Patient", "identifier=urn:mrn|cu-1", Json("""{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"cu-1"}]}"""));
        Assert.Equal(HttpStatusCode.Created, created.Status);
        var updated = await Service.ConditionalUpdateAsync("Patient", "identifier=urn:mrn|cu-1", Json("""{"resourceType":"Patient","active":true,"identifier":[{"system":"urn:mrn","value":"cu-1"}]}"""));
        Assert.Equal(HttpStatusCode.OK, updated.Status);
        Assert.Equal(created.Resource!.Id, updated.Resource!.Id);
        Assert.Equal(2, updated.Resource.VersionId);
    }

    [Fact]
    public async Task Type_history_lists_versions_of_all_resources_newest_first()
    {
        var a = await CreatePatientAsync("HistA");
        var b = await CreatePatientAsync("HistB");
        var history = await Service.HistoryAsync("Patient", null, null, 10, CancellationToken.None);
        Assert.Equal(new[] { b, a }, history.Select(h => h.Id).Take(2));
    }
}
