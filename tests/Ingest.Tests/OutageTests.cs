using System.Net;
using PatientStream.Ingest.Influx;
using PatientStream.Ingest.State;
using PatientStream.Ingest.Tests.Influx;
using PatientStream.Kafka;
using PatientStream.Kafka.Contracts;
using PatientStream.Testing;
using static PatientStream.Ingest.Tests.Readings;

namespace PatientStream.Ingest.Tests;

[Collection(ServerTestGroup.Name)]
public sealed class OutageTests(KafkaFixture kafka, InfluxFixture influx)
{
    [Fact]
    public async Task An_influx_outage_longer_than_the_writer_retries_is_waited_out_instead_of_dead_lettering()
    {
        using var scenario = new IngestScenario(kafka, influx);
        using var producer = new KafkaProducer(kafka.Options("producer"));
        // Five failures against two attempts per write: the writer gives up twice before InfluxDB is back.
        using var injector = new FaultInjector(Enumerable.Repeat(HttpStatusCode.ServiceUnavailable, 5).ToArray());
        using var http = new HttpClient(injector);
        var writer = new HttpInfluxWriter(http, scenario.InfluxOptions with
        {
            MaxAttempts = 2, InitialBackoff = TimeSpan.FromMilliseconds(1), MaxBackoff = TimeSpan.FromMilliseconds(1),
        });
        await writer.EnsureDatabaseAsync(CancellationToken.None);
        using var state = IngestStateStore.Open(scenario.StatePath);
        var sink = new ChannelSink();
        var handler = new IngestHandler(scenario.Options with { OutageBackoff = TimeSpan.FromMilliseconds(1), MaxOutageBackoff = TimeSpan.FromMilliseconds(5) },
            state, writer, new KafkaDeadLetterWriter(producer), [sink]);
        var reading = Reading(Scalar("heart-rate", 72, "/min"));
        var record = new KafkaRecord(scenario.Topic, 0, 0, reading.Patient, ContractsJson.Serialize(reading), Received);

        var outcome = await handler.HandleAsync([record], CancellationToken.None);

        Assert.Empty(outcome.Rejected);
        Assert.Equal(2, handler.Counters.Outages);
        Assert.Equal(1, handler.Counters.SamplesWritten);
        Assert.Equal(72, (await sink.Samples.ReadManyAsync(1, IngestScenario.Deadline))[0].Value);
        var rows = await InfluxQuery.RowsAsync(influx, scenario.Database, "SELECT value FROM \"heart-rate\"");
        Assert.Equal(72, Assert.Single(rows)[1].GetDouble());
    }
}
