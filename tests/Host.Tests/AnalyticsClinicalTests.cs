using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using PatientStream.Fhir.Service;
using PatientStream.Host.Commands;
using PatientStream.Ingest.Clinical;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;

namespace PatientStream.Host.Tests;

[Collection(PipelineServers.Name)]
public sealed class AnalyticsClinicalTests(KafkaFixture kafka)
{
    private const string MrnSystem = "https://hospital.example.org/mrn";

    /// <summary>
    /// The analytics read the EHR records in a group of their own and resolve each record's patient in the FHIR store
    /// by any identifier: a record that is not a Bundle and one whose MRN no Patient carries are dead-lettered with
    /// their reasons, after the record of an enrolled patient, which is taken.
    /// </summary>
    [Fact]
    public async Task Analytics_read_ehr_records_and_dead_letter_what_they_cannot_place()
    {
        using var data = new TempFolder("analytics-clinical");
        var mrn = $"MRN-{Guid.NewGuid():N}"[..12];
        await EnrolAsync(data.Path, "p-enrolled", mrn);
        var settings = new AnalyticsSettings(kafka.BootstrapServers, data.Path, "sqlite", null)
        {
            GroupId = $"g-{Guid.NewGuid():N}",
            ReadingsTopic = KafkaFixture.UniqueTopic("raw"),
            AlertsTopic = KafkaFixture.UniqueTopic("alerts"),
            DeadLetterTopic = KafkaFixture.UniqueTopic("dlq"),
            ClinicalTopic = KafkaFixture.UniqueTopic("clinical"),
        };
        using (var producer = new KafkaProducer(kafka.Options("ehr")))
        {
            var publisher = new ClinicalRecordPublisher(producer, MrnSystem, settings.ClinicalTopic);
            // One key: the three records keep their order on one partition.
            Assert.True((await publisher.PublishAsync("MRN-x", Copd(mrn), CancellationToken.None)).Delivered);
            Assert.True((await producer.ProduceAsync(settings.ClinicalTopic, "MRN-x", "{not json"u8.ToArray(), CancellationToken.None)).Delivered);
            Assert.True((await publisher.PublishAsync("MRN-x", Copd("MRN-nobody"), CancellationToken.None)).Delivered);
        }
        var letters = Channel.CreateUnbounded<KafkaRecord>();
        using var stopLetters = new CancellationTokenSource();
        using var readerProducer = new KafkaProducer(kafka.Options("dlq-reader"));
        var letterLoop = new ConsumerLoop(kafka.Options("dlq-reader"), new ConsumerLoopOptions($"g-{Guid.NewGuid():N}", [settings.DeadLetterTopic], "test"),
            new ChannelHandler(letters.Writer), readerProducer).RunAsync(stopLetters.Token);

        var output = new ReadyWriter();
        using var stop = new CancellationTokenSource();
        var run = AnalyticsCommand.RunAsync(settings, output, stop.Token);
        await output.Ready.WaitAsync(PipelineServers.Deadline);
        var reasons = new List<string>();
        while (reasons.Count < 2)
        {
            var record = await letters.Reader.ReadAsync().AsTask().WaitAsync(PipelineServers.Deadline);
            Assert.True(ContractsJson.TryParse(record.Value, out DeadLetter? letter, out var error), error);
            reasons.Add(letter!.Reason[..letter.Reason.IndexOf(':', StringComparison.Ordinal)]);
        }
        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(PipelineServers.Deadline));
        await stopLetters.CancelAsync();
        await letterLoop.WaitAsync(PipelineServers.Deadline);

        Assert.Equal(["clinical.not-a-bundle", "clinical.unknown-patient"], reasons);
    }

    private static async Task EnrolAsync(string dataDirectory, string id, string mrn)
    {
        using var host = PipelineHost.CreateBuilder(dataDirectory, "sqlite", null, Microsoft.Extensions.Logging.LogLevel.Warning).Build();
        await host.StartAsync();
        await host.Services.GetRequiredService<FhirService>().UpdateAsync("Patient", id, new JsonObject
        {
            ["resourceType"] = "Patient", ["id"] = id,
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = MrnSystem, ["value"] = mrn }),
        });
        await host.StopAsync();
    }

    /// <summary>The EHR's problem list: chronic hypercapnic respiratory failure (SNOMED CT 426896000), by MRN.</summary>
    private static JsonObject Copd(string mrn) => ClinicalRecordPublisher.Collection(
    [
        new JsonObject
        {
            ["resourceType"] = "Patient", ["id"] = "ehr-77",
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = MrnSystem, ["value"] = mrn }),
        },
        new JsonObject
        {
            ["resourceType"] = "Condition", ["id"] = "c-77",
            ["clinicalStatus"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["code"] = "active" }) },
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://snomed.info/sct", ["code"] = "426896000" }) },
            ["subject"] = new JsonObject { ["reference"] = "Patient/ehr-77" },
        },
    ]);

    private sealed class ChannelHandler(ChannelWriter<KafkaRecord> received) : IRecordBatchHandler
    {
        public Task<BatchOutcome> HandleAsync(IReadOnlyList<KafkaRecord> records, CancellationToken cancellationToken)
        {
            foreach (var record in records)
            {
                received.TryWrite(record);
            }
            return Task.FromResult(BatchOutcome.AllHandled);
        }
    }
}
