using System.Threading.Channels;
using PatientStream.Analytics.Actors;
using PatientStream.Analytics.Contracts;
using PatientStream.Analytics.Kafka;
using PatientStream.Analytics.Output;
using PatientStream.Analytics.Patients;
using PatientStream.Analytics.Tests.Patients;
using PatientStream.Kafka;
using PatientStream.Testing;

namespace PatientStream.Analytics.Tests.Kafka;

[Collection(KafkaTestGroup.Name)]
public sealed class KafkaAlertSinkTests(KafkaFixture kafka)
{
    [Fact]
    public async Task Alerts_of_a_deteriorating_patient_reach_the_alert_topic_keyed_by_patient_and_every_event_goes_on()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var topic = KafkaFixture.UniqueTopic("alerts");
        using var producer = new KafkaProducer(kafka.Options("analytics"));
        var next = new RecordingSink();
        var sink = new KafkaAlertSink(producer, next, topic);
        var actor = new PatientActor("patient-9", new PatientAnalyticsOptions(), sink);
        var context = new ActorContext("patient-9", IsReplay: false, deadline.Token);

        await actor.ReceiveAsync(new Measurement("patient-9", "watch", MeasurementCodes.HeartRate, PatientDriver.Start, 140, "/min"), context);
        await actor.ReceiveAsync(new Measurement("patient-9", "watch", MeasurementCodes.RespiratoryRate, PatientDriver.Start, 26, "/min"), context);

        var published = next.Alerts.ToList();
        Assert.Equal([AlertTransition.Raised, AlertTransition.Escalated], published.Select(a => a.Transition));
        Assert.Equal(2, next.Risks.Count());

        var received = Channel.CreateUnbounded<KafkaRecord>();
        using var dlq = new KafkaProducer(kafka.Options("dlq"));
        using var stop = new CancellationTokenSource();
        var loop = new ConsumerLoop(kafka.Options("reader"), new ConsumerLoopOptions($"g-{Guid.NewGuid():N}", [topic], "alerts-reader"), new CollectingHandler(received.Writer), dlq);
        var run = loop.RunAsync(stop.Token);
        var records = new List<AlertRecord>();
        while (records.Count < published.Count)
        {
            var record = await received.Reader.ReadAsync(deadline.Token);
            Assert.Equal("patient-9", record.Key);
            records.Add(AlertRecord.FromJsonUtf8(record.Value)!);
        }

        await stop.CancelAsync();
        await run;
        Assert.Equal(published, records);
    }
}
