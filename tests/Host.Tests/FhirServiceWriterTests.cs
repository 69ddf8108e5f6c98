using System.Text.Json.Nodes;
using PatientStream.Fhir.Definitions;
using PatientStream.Fhir.Errors;
using PatientStream.Fhir.Service;
using PatientStream.Fhir.Storage;
using PatientStream.Ingest;
using PatientStream.Ingest.Fhir;
using PatientStream.Ingest.Influx;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class FhirServiceWriterTests(KafkaFixture kafka, InfluxFixture influx)
{
    private static async Task<FhirService> OpenStoreAsync(TempFolder folder)
    {
        var store = new SqlFhirStore(new SqliteDialect(folder.Combine("fhir.db")), FhirDefinitions.R4);
        await store.InitializeAsync(CancellationToken.None);
        return new FhirService(store);
    }

    [Fact]
    public async Task Ingested_batch_is_found_as_observations_of_its_patient()
    {
        using var data = new TempFolder("fhir-writer");
        var fhir = await OpenStoreAsync(data);
        var signal = new SignalSink();
        var topic = KafkaFixture.UniqueTopic("raw");
        var options = new IngestOptions
        {
            Topic = topic, DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"), LateTopic = KafkaFixture.UniqueTopic("late"),
            GroupId = $"ingest-{Guid.NewGuid():N}", StatePath = data.Combine("state", "ingest.db"),
        };
        using var service = new IngestService(kafka.Options("ingest"), options, new InfluxOptions { Url = influx.Url, Database = $"w{Guid.NewGuid():N}" },
            [new FhirObservationSink(new FhirServiceWriter(fhir)), signal]);
        await service.StartAsync(CancellationToken.None);
        await service.Started.WaitAsync(PipelineServers.Deadline);

        await Readings.ProduceVitalsAsync(kafka, topic, "Patient/p-writer");
        await signal.First.WaitAsync(PipelineServers.Deadline);
        await service.StopAsync(CancellationToken.None);

        var found = (await fhir.SearchAsync("Observation", "patient=Patient/p-writer")).MatchResources();
        Assert.Equal(2, found.Count);
        var codes = found.Select(o => o["code"]!["coding"]![0]!["code"]!.GetValue<string>()).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["59408-5", "8867-4"], codes);
        Assert.All(found, o => Assert.Equal("Patient/p-writer", o["subject"]!["reference"]!.GetValue<string>()));
        var provenance = await fhir.SearchAsync("Provenance", "_count=50");
        Assert.Equal(2, provenance.Page.Matches.Count);
    }

    [Fact]
    public async Task A_failed_transaction_throws_and_stores_nothing()
    {
        using var data = new TempFolder("fhir-writer");
        var fhir = await OpenStoreAsync(data);
        var good = new JsonObject
        {
            ["resourceType"] = "Observation", ["id"] = "ok-1", ["status"] = "final",
            ["code"] = new JsonObject { ["text"] = "heart rate" }, ["subject"] = new JsonObject { ["reference"] = "Patient/p-fail" },
        };
        // An Observation without its required status and code makes the whole transaction fail.
        var bad = new JsonObject { ["resourceType"] = "Observation", ["id"] = "bad-1", ["subject"] = new JsonObject { ["reference"] = "Patient/p-fail" } };
        var bundle = new JsonObject
        {
            ["resourceType"] = "Bundle", ["type"] = "transaction",
            ["entry"] = new JsonArray(Entry(good), Entry(bad)),
        };

        await Assert.ThrowsAnyAsync<FhirException>(() => new FhirServiceWriter(fhir).WriteTransactionAsync(bundle, CancellationToken.None));

        Assert.Empty((await fhir.SearchAsync("Observation", "patient=Patient/p-fail")).Page.Matches);
    }

    [Fact]
    public async Task A_batch_bundle_is_refused_because_it_would_not_fail_as_a_whole()
    {
        using var data = new TempFolder("fhir-writer");
        var fhir = await OpenStoreAsync(data);
        var bundle = new JsonObject { ["resourceType"] = "Bundle", ["type"] = "batch", ["entry"] = new JsonArray() };
        await Assert.ThrowsAsync<ArgumentException>(() => new FhirServiceWriter(fhir).WriteTransactionAsync(bundle, CancellationToken.None));
    }

    private static JsonObject Entry(JsonObject resource) => new()
    {
        ["fullUrl"] = $"Observation/{resource["id"]}",
        ["resource"] = resource,
        ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"Observation/{resource["id"]}" },
    };
}
