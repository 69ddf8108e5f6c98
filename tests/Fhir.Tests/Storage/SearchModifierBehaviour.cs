using PatientStream.Fhir.Errors;

namespace PatientStream.Fhir.Tests.Storage;

/// <summary>Less common parameter types and modifiers, run unchanged against every store.</summary>
public abstract class SearchModifierBehaviour : StoreTestBase
{
    [Fact]
    public async Task Reference_identifier_modifier_matches_logical_references()
    {
        var hit = (await Service.CreateAsync(Json("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"urn:mrn","value":"L-1"}}}"""))).Resource!.Id;
        await Service.CreateAsync(Json("""{"resourceType":"Observation","status":"final","code":{"text":"x"},"subject":{"identifier":{"system":"urn:mrn","value":"L-2"}}}"""));
        Assert.Equal(new[] { hit }, await SearchIdsAsync("Observation", "subject:identifier=urn:mrn|L-1"));
    }

    [Fact]
    public async Task Uri_below_and_above_and_number_prefixes()
    {
        var vs = (await Service.CreateAsync(Json("""{"resourceType":"ValueSet","status":"active","url":"http://example.org/fhir/ValueSet/vitals"}"""))).Resource!.Id;
        Assert.Equal(new[] { vs }, await SearchIdsAsync("ValueSet", "url:below=http://example.org/fhir"));
        Assert.Equal(new[] { vs }, await SearchIdsAsync("ValueSet", "url:above=http://example.org/fhir/ValueSet/vitals/extra"));
        Assert.Empty(await SearchIdsAsync("ValueSet", "url=http://example.org/fhir"));

        var risky = (await Service.CreateAsync(Json("""{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/r1"},"prediction":[{"probabilityDecimal":0.82}]}"""))).Resource!.Id;
        await Service.CreateAsync(Json("""{"resourceType":"RiskAssessment","status":"final","subject":{"reference":"Patient/r2"},"prediction":[{"probabilityDecimal":0.1}]}"""));
        Assert.Equal(new[] { risky }, await SearchIdsAsync("RiskAssessment", "probability=gt0.5"));
        Assert.Equal(new[] { risky }, await SearchIdsAsync("RiskAssessment", "probability=0.82"));
    }

    [Fact]
    public async Task Last_updated_and_id_search()
    {
        var before = DateTimeOffset.UtcNow.AddMinutes(-1).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var id = await CreatePatientAsync("Recent");
        Assert.Equal(new[] { id }, await SearchIdsAsync("Patient", $"_lastUpdated=gt{before}&_id={id}"));
        Assert.Empty(await SearchIdsAsync("Patient", $"_lastUpdated=lt{before}"));
    }

    [Fact]
    public async Task Conditional_update_with_several_matches_is_a_precondition_failure()
    {
        await CreatePatientAsync("Twin", identifier: "dup-1");
        await CreatePatientAsync("Twin", identifier: "dup-1");
        var ex = await Assert.ThrowsAsync<PreconditionFailedException>(() =>
            Service.ConditionalUpdateAsync("Patient", "identifier=dup-1", Json("""{"resourceType":"Patient"}""")));
        Assert.Equal("MULTIPLE_MATCHES", ex.Code);
    }

    [Fact]
    public async Task Transaction_updates_and_deletes_in_one_unit()
    {
        var keep = await CreatePatientAsync("TxKeep");
        var drop = await CreatePatientAsync("TxDrop");
        var response = await Service.ProcessBundleAsync(Json($$$"""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"resource":{"resourceType":"Patient","id":"{{{keep}}}","active":true},"request":{"method":"PUT","url":"Patient/{{{keep}}}"}},
              {"request":{"method":"DELETE","url":"Patient/{{{drop}}}"}}]}
            """));
        Assert.StartsWith("200", response["entry"]![0]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("204", response["entry"]![1]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        await Assert.ThrowsAsync<ResourceGoneException>(() => Service.ReadAsync("Patient", drop, CancellationToken.None));
        Assert.Equal(new[] { keep }, await SearchIdsAsync("Patient", "active=true"));
    }
}
