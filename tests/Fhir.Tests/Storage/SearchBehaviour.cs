using System.Text.Json.Nodes;
using PatientStream.Fhir.Errors;

namespace PatientStream.Fhir.Tests.Storage;

/// <summary>Search behaviour, run unchanged against every store.</summary>
public abstract class SearchBehaviour : StoreTestBase
{
    [Fact]
    public async Task Reference_token_and_date_criteria_combine_with_and()
    {
        var p1 = await CreatePatientAsync("Alpha");
        var p2 = await CreatePatientAsync("Beta");
        var hit = await CreateObservationAsync(p1, "8867-4", "2026-11-21T10:00:00Z", 72);
        await CreateObservationAsync(p1, "8867-4", "2026-11-19T10:00:00Z", 70);
        await CreateObservationAsync(p1, "59408-5", "2026-11-21T10:00:00Z", 97, "%");
        await CreateObservationAsync(p2, "8867-4", "2026-11-21T10:00:00Z", 80);

        var ids = await SearchIdsAsync("Observation", $"patient=Patient/{p1}&code=http://loinc.org|8867-4&date=ge2026-11-20");
        Assert.Equal(new[] { hit }, ids);
        Assert.Equal(new[] { hit }, await SearchIdsAsync("Observation", $"subject={p1}&code=8867-4&date=gt2026-11-20T00:00:00Z"));
    }

    [Fact]
    public async Task Comma_is_or_and_repeated_parameters_are_and()
    {
        var p = await CreatePatientAsync("Gamma");
        var a = await CreateObservationAsync(p, "8867-4", "2026-11-21T10:00:00Z", 72);
        var b = await CreateObservationAsync(p, "59408-5", "2026-11-21T11:00:00Z", 97, "%");
        await CreateObservationAsync(p, "9279-1", "2026-11-21T12:00:00Z", 16);

        Assert.Equal(new[] { a, b }, await SearchIdsAsync("Observation", "code=8867-4,59408-5&_sort=date"));
        Assert.Equal(new[] { b }, await SearchIdsAsync("Observation", "date=ge2026-11-21T10:30:00Z&date=le2026-11-21T11:30:00Z"));
    }

    [Fact]
    public async Task String_search_is_prefix_and_case_insensitive_with_exact_and_contains_modifiers()
    {
        var smith = await CreatePatientAsync("Smith");
        var smythe = await CreatePatientAsync("Smythe");
        var goldsmith = await CreatePatientAsync("Goldsmith");

        Assert.Equal(new[] { smith }, await SearchIdsAsync("Patient", "family=smi"));
        Assert.Equal(new[] { smith, goldsmith }, await SearchIdsAsync("Patient", "family:contains=SMITH&_sort=_lastUpdated"));
        Assert.Empty(await SearchIdsAsync("Patient", "family:exact=smith"));
        Assert.Equal(new[] { smythe }, await SearchIdsAsync("Patient", "family:exact=Smythe"));
        Assert.Equal(new[] { smith, smythe, goldsmith }, await SearchIdsAsync("Patient", "name=ann&_sort=_lastUpdated"));
    }

    [Fact]
    public async Task Token_modifiers_not_text_and_missing()
    {
        var p = await CreatePatientAsync("Delta");
        var hr = await CreateObservationAsync(p, "8867-4", "2026-11-21T10:00:00Z", 72);
        var spo2 = await CreateObservationAsync(p, "59408-5", "2026-11-21T10:00:00Z", 97, "%");
        var noValue = (await Service.CreateAsync(Json("""{"resourceType":"Observation","status":"final","code":{"text":"Note only"}}"""))).Resource!.Id;

        Assert.Equal(new[] { spo2, noValue }, await SearchIdsAsync("Observation", "code:not=8867-4&_sort=_lastUpdated"));
        Assert.Equal(new[] { hr, spo2 }, await SearchIdsAsync("Observation", "code:text=heart&_sort=_lastUpdated"));
        Assert.Equal(new[] { noValue }, await SearchIdsAsync("Observation", "value-quantity:missing=true"));
        Assert.Equal(new[] { hr, spo2 }, await SearchIdsAsync("Observation", "value-quantity:missing=false&_sort=_lastUpdated"));
    }

    [Fact]
    public async Task Quantity_and_date_prefixes()
    {
        var p = await CreatePatientAsync("Epsilon", birthDate: "1980-05-17");
        var low = await CreateObservationAsync(p, "8867-4", "2026-11-21T10:00:00Z", 55);
        var high = await CreateObservationAsync(p, "8867-4", "2026-11-21T11:00:00Z", 130);

        Assert.Equal(new[] { high }, await SearchIdsAsync("Observation", "value-quantity=gt100"));
        Assert.Equal(new[] { low }, await SearchIdsAsync("Observation", "value-quantity=lt60|http://unitsofmeasure.org|/min"));
        Assert.Equal(new[] { low }, await SearchIdsAsync("Observation", "value-quantity=55"));
        Assert.Equal(new[] { low }, await SearchIdsAsync("Observation", "date=eb2026-11-21T10:30:00Z"));
        Assert.Equal(new[] { high }, await SearchIdsAsync("Observation", "date=sa2026-11-21T10:30:00Z"));
        Assert.Equal(new[] { p }, await SearchIdsAsync("Patient", "birthdate=1980"));
        Assert.Equal(new[] { p }, await SearchIdsAsync("Patient", "birthdate=eq1980-05"));
        Assert.Empty(await SearchIdsAsync("Patient", "birthdate=ne1980-05-17"));
        Assert.Equal(new[] { p }, await SearchIdsAsync("Patient", "birthdate=ap1980-05-18"));
    }

    [Fact]
    public async Task Sort_on_several_keys_with_descending()
    {
        var a = await CreatePatientAsync("Same", birthDate: "1990-01-01");
        var b = await CreatePatientAsync("Same", birthDate: "1970-01-01");
        var c = await CreatePatientAsync("Other", birthDate: "1980-01-01");

        Assert.Equal(new[] { c, a, b }, await SearchIdsAsync("Patient", "_sort=family,-birthdate"));
        Assert.Equal(new[] { a, c, b }, await SearchIdsAsync("Patient", "_sort=-birthdate"));
    }

    [Fact]
    public async Task Paging_stays_stable_while_other_clients_write()
    {
        var p = await CreatePatientAsync("Paging");
        var all = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            all.Add(await CreateObservationAsync(p, "8867-4", $"2026-11-21T10:0{i}:00Z", 60 + i));
        }

        var first = await Service.SearchAsync("Observation", $"patient={p}&_count=2&_sort=date");
        Assert.Equal(5, first.Page.Total);
        Assert.True(first.Page.HasNext);

        // Writes between pages: a new match sorting first, and a change to an item on a later page.
        await CreateObservationAsync(p, "8867-4", "2026-11-21T09:00:00Z", 50);
        var seen = first.Page.Matches.Select(m => m.Id).ToList();
        var offset = 2;
        while (true)
        {
            var page = await Service.PageAsync(first.Page.SearchId!, offset, 2, CancellationToken.None);
            Assert.NotNull(page);
            seen.AddRange(page.Page.Matches.Select(m => m.Id));
            if (!page.Page.HasNext)
            {
                break;
            }

            offset += 2;
        }

        Assert.Equal(all, seen);
    }

    [Fact]
    public async Task Summary_count_and_total()
    {
        var p = await CreatePatientAsync("Counting");
        for (var i = 0; i < 3; i++)
        {
            await CreateObservationAsync(p, "8867-4", $"2026-11-21T10:0{i}:00Z", 60);
        }

        var count = await Service.SearchAsync("Observation", $"patient={p}&_summary=count");
        Assert.Equal(3, count.Page.Total);
        Assert.Empty(count.Page.Matches);
        var none = await Service.SearchAsync("Observation", $"patient={p}&_total=none&_count=1");
        Assert.Single(none.Page.Matches);
    }

    [Fact]
    public async Task Include_and_revinclude_with_iterate()
    {
        var org = (await Service.CreateAsync(Json("""{"resourceType":"Organization","name":"Ward 7"}"""))).Resource!.Id;
        var patient = (await Service.CreateAsync(Json($$$"""{"resourceType":"Patient","managingOrganization":{"reference":"Organization/{{{org}}}"}}"""))).Resource!.Id;
        var obs = await CreateObservationAsync(patient, "8867-4", "2026-11-21T10:00:00Z", 72);

        var included = await Service.SearchAsync("Observation", $"_id={obs}&_include=Observation:patient");
        Assert.Equal(new[] { patient }, included.Included.Select(r => r.Id));

        var iterated = await Service.SearchAsync("Observation", $"_id={obs}&_include=Observation:subject&_include:iterate=Patient:organization");
        Assert.Equal(new[] { patient, org }, iterated.Included.Select(r => r.Id));

        var rev = await Service.SearchAsync("Patient", $"_id={patient}&_revinclude=Observation:subject");
        Assert.Equal(new[] { obs }, rev.Included.Select(r => r.Id));
    }

    [Fact]
    public async Task Chained_and_reverse_chained_parameters()
    {
        var p1 = await CreatePatientAsync("Chain", identifier: "mrn-1");
        var p2 = await CreatePatientAsync("Chain", identifier: "mrn-2");
        var o1 = await CreateObservationAsync(p1, "8867-4", "2026-11-21T10:00:00Z", 72);
        await CreateObservationAsync(p2, "59408-5", "2026-11-21T10:00:00Z", 97, "%");

        Assert.Equal(new[] { o1 }, await SearchIdsAsync("Observation", "subject:Patient.identifier=urn:mrn|mrn-1"));
        Assert.Equal(new[] { o1 }, await SearchIdsAsync("Observation", "patient.identifier=mrn-1"));
        Assert.Equal(new[] { p1 }, await SearchIdsAsync("Patient", "_has:Observation:patient:code=8867-4"));
        Assert.Equal(new[] { p2 }, await SearchIdsAsync("Patient", "family=chain&_has:Observation:subject:code:not=8867-4"));
    }

    [Fact]
    public async Task Unknown_parameters_are_ignored_and_reported_or_rejected_when_strict()
    {
        await CreatePatientAsync("Strict");
        var lenient = await Service.SearchAsync("Patient", "family=Strict&nonsense=1");
        Assert.Single(lenient.Page.Matches);
        Assert.Equal(new[] { "nonsense" }, lenient.Ignored);
        var ex = await Assert.ThrowsAsync<BadRequestException>(() => Service.SearchAsync("Patient", "family=Strict&nonsense=1", strict: true));
        Assert.Equal("UNKNOWN_PARAMETER", ex.Code);
        await Assert.ThrowsAsync<BadRequestException>(() => Service.SearchAsync("Patient", "family:below=x"));
    }

    [Fact]
    public async Task Transaction_rewrites_urn_uuid_references()
    {
        var response = await Service.ProcessBundleAsync(Json("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"fullUrl":"urn:uuid:11111111-1111-4111-8111-111111111111","resource":{"resourceType":"Observation","status":"final","code":{"text":"hr"},
                "subject":{"reference":"urn:uuid:22222222-2222-4222-8222-222222222222"}},"request":{"method":"POST","url":"Observation"}},
              {"fullUrl":"urn:uuid:22222222-2222-4222-8222-222222222222","resource":{"resourceType":"Patient","identifier":[{"system":"urn:mrn","value":"tx-1"}]},
                "request":{"method":"POST","url":"Patient","ifNoneExist":"identifier=urn:mrn|tx-1"}}]}
            """));
        Assert.Equal("transaction-response", response["type"]!.GetValue<string>());
        var entries = response["entry"]!.AsArray();
        Assert.StartsWith("201", entries[0]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        var patientId = entries[1]!["resource"]!["id"]!.GetValue<string>();
        var obsId = entries[0]!["resource"]!["id"]!.GetValue<string>();
        var obs = await Service.ReadAsync("Observation", obsId, CancellationToken.None);
        Assert.Equal("Patient/" + patientId, Json(obs.Json)["subject"]!["reference"]!.GetValue<string>());
        Assert.Equal(new[] { obsId }, await SearchIdsAsync("Observation", $"patient={patientId}"));
    }

    [Fact]
    public async Task Transaction_is_atomic_when_an_entry_fails()
    {
        var ex = await Assert.ThrowsAsync<ResourceValidationException>(() => Service.ProcessBundleAsync(Json("""
            {"resourceType":"Bundle","type":"transaction","entry":[
              {"resource":{"resourceType":"Patient","name":[{"family":"Atomic"}]},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Patient","id":"x1","birthDate":"not-a-date"},"request":{"method":"PUT","url":"Patient/x1"}}]}
            """)));
        Assert.Contains(ex.Issues, i => i.Expression == "Bundle.entry[1].resource.birthDate");
        Assert.Empty(await SearchIdsAsync("Patient", "family=Atomic"));
    }

    [Fact]
    public async Task Batch_entries_succeed_or_fail_independently()
    {
        var response = await Service.ProcessBundleAsync(Json("""
            {"resourceType":"Bundle","type":"batch","entry":[
              {"resource":{"resourceType":"Patient","name":[{"family":"Batchy"}]},"request":{"method":"POST","url":"Patient"}},
              {"resource":{"resourceType":"Patient","id":"b1","active":"no"},"request":{"method":"PUT","url":"Patient/b1"}},
              {"request":{"method":"GET","url":"Patient?family=Batchy"}}]}
            """));
        var entries = response["entry"]!.AsArray();
        Assert.StartsWith("201", entries[0]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.StartsWith("400", entries[1]!["response"]!["status"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, entries[2]!["resource"]!["total"]!.GetValue<long>());
    }

    [Fact]
    public async Task Patient_everything_returns_the_compartment()
    {
        var p = await CreatePatientAsync("Everything");
        var other = await CreatePatientAsync("Someone");
        var o = await CreateObservationAsync(p, "8867-4", "2026-11-21T10:00:00Z", 72);
        await CreateObservationAsync(other, "8867-4", "2026-11-21T10:00:00Z", 72);
        var flag = (await Service.CreateAsync(Json($$$"""{"resourceType":"Flag","status":"active","code":{"text":"falls risk"},"subject":{"reference":"Patient/{{{p}}}"}}"""))).Resource!.Id;

        var everything = await Service.EverythingAsync(p, CancellationToken.None);
        Assert.Equal(new[] { p, flag, o }.Order(StringComparer.Ordinal), everything.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Elements_and_summary_subset_the_returned_resources()
    {
        var p = await CreatePatientAsync("Subset", birthDate: "1970-01-01");
        var result = await Service.SearchAsync("Patient", $"_id={p}&_elements=birthDate");
        var bundle = PatientStream.Fhir.Service.BundleWriter.Searchset("http://x/fhir", result, string.Empty, Service.Definitions);
        var resource = bundle["entry"]![0]!["resource"]!.AsObject();
        Assert.Equal("1970-01-01", resource["birthDate"]!.GetValue<string>());
        Assert.Null(resource["name"]);
        Assert.Equal("SUBSETTED", resource["meta"]!["tag"]![0]!["code"]!.GetValue<string>());
        _ = JsonNode.Parse(bundle.ToJsonString());
    }
}
