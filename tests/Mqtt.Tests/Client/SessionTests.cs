using PatientStream.Mqtt.Packets;
using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Client;

/// <summary>Persistent sessions, reconnects and broker restarts. One broker per class; tests run one after another.</summary>
public sealed class SessionTests(PersistentBroker broker) : IClassFixture<PersistentBroker>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        BrokerLog.AssertNoProtocolComplaints(broker);
        return Task.CompletedTask;
    }

    private const int SigStop = 19;
    private const int SigCont = 18;

    public static TheoryData<MqttProtocolVersion, MqttQualityOfService> VersionsAndQoS => new()
    {
        { MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce },
        { MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce },
    };

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Messages_queued_for_a_persistent_session_survive_a_broker_restart(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/restart");
        var subscriberOptions = Clients.Options(broker, version, Clients.UniqueId("sub")) with { CleanSession = false };
        await using (var subscriber = await Clients.ConnectAsync(subscriberOptions))
        {
            await subscriber.SubscribeAsync(topic, qos);
            await subscriber.DisconnectAsync();
        }
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version));
        var reconnected = Clients.NextConnected(publisher);
        for (var i = 0; i < 5; i++)
        {
            Assert.True((await publisher.PublishAsync(topic, Clients.Bytes("before-" + i), qos)).IsSuccess);
        }

        await broker.RestartAsync();
        await reconnected;
        Assert.True((await publisher.PublishAsync(topic, Clients.Bytes("after"), qos)).IsSuccess);

        await using var resumed = await Clients.ConnectAsync(subscriberOptions);
        var received = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            received.Add((await resumed.ReceiveAsync()).Text());
        }
        Assert.Equal(["before-0", "before-1", "before-2", "before-3", "before-4", "after"], received);
    }

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Unacknowledged_message_is_redelivered_with_dup_after_the_client_reconnects(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/manual");
        await using var consumer = await Clients.ConnectAsync(Clients.Options(broker, version, Clients.UniqueId("edge")) with
        {
            CleanSession = false,
            AutoAcknowledge = false,
        });
        await consumer.SubscribeAsync(topic, qos);
        await using var device = await Clients.ConnectAsync(Clients.Options(broker, version));
        await device.PublishAsync(topic, Clients.Bytes("batch-1"), qos);
        var first = await consumer.ReceiveAsync();
        Assert.False(first.Dup);
        var reconnected = Clients.NextConnected(consumer);

        // Not acknowledged (not yet stored durably) when the network drops.
        consumer.AbortConnection();
        var result = await reconnected;

        Assert.True(result.Result.SessionPresent);
        var again = await consumer.ReceiveAsync();
        Assert.Equal("batch-1", again.Text());
        Assert.True(again.Dup);
        await again.AcknowledgeAsync();
        // Acknowledged now: the broker does not deliver it a third time, the next message comes next.
        await device.PublishAsync(topic, Clients.Bytes("batch-2"), qos);
        var next = await consumer.ReceiveAsync();
        Assert.Equal("batch-2", next.Text());
        await next.AcknowledgeAsync();
    }

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Unacknowledged_publication_is_resent_with_dup_on_the_next_connection(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/resend");
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        await subscriber.SubscribeAsync(topic, qos);
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version, Clients.UniqueId("dev")) with
        {
            CleanSession = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
        });
        var firstSend = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resend = new TaskCompletionSource<MqttPublishPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        publisher.PacketEncoded = packet =>
        {
            if (packet is MqttPublishPacket publish)
            {
                if (publish.Dup)
                {
                    resend.TrySetResult(publish);
                }
                else
                {
                    firstSend.TrySetResult();
                }
            }
        };
        var reconnected = Clients.NextConnected(publisher);

        // A frozen broker cannot acknowledge: the publication is on the wire but unacknowledged when the link drops.
        broker.Server.Signal(SigStop);
        ValueTask<MqttPublishResult> publish;
        try
        {
            publish = publisher.PublishAsync(topic, Clients.Bytes("reading"), qos);
            await firstSend.Task.WaitAsync(Clients.Deadline);
            publisher.AbortConnection();
        }
        finally
        {
            broker.Server.Signal(SigCont);
        }
        await reconnected;

        var resent = await resend.Task.WaitAsync(Clients.Deadline);
        Assert.Equal(qos, resent.QualityOfService);
        Assert.True((await publish).IsSuccess);
        Assert.Equal("reading", (await subscriber.ReceiveAsync()).Text());
        Assert.Equal(0, publisher.InflightCount);
    }

    [Fact]
    public async Task Subscriptions_are_restored_when_the_broker_forgot_the_session()
    {
        var topic = Clients.UniqueId("ps/restore");
        // A clean session: after a broker restart nothing is remembered, so the client must subscribe again itself.
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311));
        await subscriber.SubscribeAsync(topic);
        var reconnected = Clients.NextConnected(subscriber);

        await broker.RestartAsync();
        var result = await reconnected;

        Assert.False(result.Result.SessionPresent);
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311));
        await publisher.PublishAsync(topic, Clients.Bytes("still-subscribed"));
        Assert.Equal("still-subscribed", (await subscriber.ReceiveAsync()).Text());
    }

    [Fact]
    public async Task Full_outgoing_queue_pushes_back_on_the_caller_until_the_broker_returns()
    {
        var topic = Clients.UniqueId("ps/backpressure");
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311, Clients.UniqueId("bp"))
            with { CleanSession = false });
        await subscriber.SubscribeAsync(topic);
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311) with { MaxQueuedMessages = 4 });
        var down = Clients.NextDisconnected(publisher);
        var reconnected = Clients.NextConnected(publisher);
        await broker.StopAsync();
        await down;

        var queued = Enumerable.Range(0, 4).Select(i => publisher.PublishAsync(topic, Clients.Bytes("m" + i), MqttQualityOfService.AtMostOnce)).ToList();
        var fifth = publisher.PublishAsync(topic, Clients.Bytes("m4"), MqttQualityOfService.AtMostOnce);

        Assert.All(queued, q => Assert.True(q.IsCompletedSuccessfully));
        Assert.False(fifth.IsCompleted);
        await broker.RestartAsync();
        await reconnected;
        Assert.True((await fifth).IsSuccess);
    }
}
