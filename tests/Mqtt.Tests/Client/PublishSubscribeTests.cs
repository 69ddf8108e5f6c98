using PatientStream.Mqtt.Packets;
using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Client;

public sealed class PublishSubscribeTests(PlainBroker broker) : IClassFixture<PlainBroker>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        BrokerLog.AssertNoProtocolComplaints(broker);
        return Task.CompletedTask;
    }

    public static TheoryData<MqttProtocolVersion, MqttQualityOfService> VersionsAndQoS
    {
        get
        {
            var data = new TheoryData<MqttProtocolVersion, MqttQualityOfService>();
            foreach (var version in new[] { MqttProtocolVersion.V311, MqttProtocolVersion.V500 })
            {
                foreach (var qos in Enum.GetValues<MqttQualityOfService>())
                {
                    data.Add(version, qos);
                }
            }
            return data;
        }
    }

    public static TheoryData<MqttProtocolVersion> Versions => new() { MqttProtocolVersion.V311, MqttProtocolVersion.V500 };

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Message_published_at_each_qos_reaches_a_subscriber_intact(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version));
        var topic = Clients.UniqueId("ps/test") + "/readings";
        var subscribed = await subscriber.SubscribeAsync(topic, qos);
        Assert.Equal((MqttReasonCode)(int)qos, Assert.Single(subscribed.Items).ReasonCode);

        var result = await publisher.PublishAsync(topic, Clients.Bytes("{\"v\":1,\"seq\":42}"), qos);

        Assert.True(result.IsSuccess);
        Assert.Equal(qos == MqttQualityOfService.AtMostOnce, result.PacketId == 0);
        var message = await subscriber.ReceiveAsync();
        Assert.Equal(topic, message.Topic);
        Assert.Equal("{\"v\":1,\"seq\":42}", message.Text());
        Assert.Equal(qos, message.QualityOfService);
        Assert.Equal(0, publisher.InflightCount);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Many_qos1_messages_arrive_complete_and_in_order(MqttProtocolVersion version)
    {
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version) with { MaxInflight = 10, MaxQueuedMessages = 16 });
        var topic = Clients.UniqueId("ps/order");
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.AtLeastOnce);

        const int count = 2_000;
        var publishes = Enumerable.Range(0, count)
            .Select(i => publisher.PublishAsync(topic, Clients.Bytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture))).AsTask())
            .ToList();
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), (await subscriber.ReceiveAsync()).Text());
        }
        Assert.All(await Task.WhenAll(publishes), r => Assert.True(r.IsSuccess));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Wildcard_and_shared_subscriptions_deliver_matching_topics_only(MqttProtocolVersion version)
    {
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version));
        var root = Clients.UniqueId("ps");
        var result = await subscriber.SubscribeAsync(
        [
            new MqttSubscription(root + "/devices/+/readings"),
            new MqttSubscription("$share/edge/" + root + "/shared/#"),
        ]);
        Assert.True(result.IsSuccess);

        await publisher.PublishAsync(root + "/devices/dev-1/status", Clients.Bytes("no"));
        await publisher.PublishAsync(root + "/devices/dev-1/readings", Clients.Bytes("yes-1"));
        await publisher.PublishAsync(root + "/shared/a/b", Clients.Bytes("yes-2"));

        Assert.Equal("yes-1", (await subscriber.ReceiveAsync()).Text());
        var shared = await subscriber.ReceiveAsync();
        Assert.Equal("yes-2", shared.Text());
        Assert.True(MqttTopic.Matches("$share/edge/" + root + "/shared/#", shared.Topic));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Unsubscribe_stops_delivery(MqttProtocolVersion version)
    {
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        var root = Clients.UniqueId("ps/unsub");
        await subscriber.SubscribeAsync(root + "/a");
        await subscriber.SubscribeAsync(root + "/b");

        var result = await subscriber.UnsubscribeAsync([root + "/a"]);

        Assert.True(result.IsSuccess);
        await subscriber.PublishAsync(root + "/a", Clients.Bytes("dropped"));
        await subscriber.PublishAsync(root + "/b", Clients.Bytes("kept"));
        // Both go through the same ordered session: if /a were still subscribed it would arrive first.
        Assert.Equal("kept", (await subscriber.ReceiveAsync()).Text());
    }

    [Fact]
    public async Task Mqtt5_unsubscribe_reports_a_filter_that_was_not_subscribed()
    {
        await using var client = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V500));

        var result = await client.UnsubscribeAsync([Clients.UniqueId("never")]);

        Assert.Equal(MqttReasonCode.NoSubscriptionExisted, Assert.Single(result.Items).ReasonCode);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Retained_message_reaches_a_later_subscriber_with_the_retain_flag(MqttProtocolVersion version)
    {
        var topic = Clients.UniqueId("ps/v1/devices") + "/status";
        await using (var device = await Clients.ConnectAsync(Clients.Options(broker, version)))
        {
            await device.PublishAsync(topic, Clients.Bytes("online"), MqttQualityOfService.AtLeastOnce, retain: true);
        }
        await using var late = await Clients.ConnectAsync(Clients.Options(broker, version));

        await late.SubscribeAsync(topic);

        var message = await late.ReceiveAsync();
        Assert.Equal("online", message.Text());
        Assert.True(message.Retain);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Will_is_published_when_a_client_drops_without_disconnect(MqttProtocolVersion version)
    {
        var topic = Clients.UniqueId("ps/v1/devices") + "/status";
        await using var watcher = await Clients.ConnectAsync(Clients.Options(broker, version));
        await watcher.SubscribeAsync(topic);
        var device = await Clients.ConnectAsync(Clients.Options(broker, version) with
        {
            Will = new MqttApplicationMessage(topic, Clients.Bytes("offline")) { Retain = true },
            AutoReconnect = false,
        });

        // MQTT 5 sends the will on a DISCONNECT with reason 0x04; under 3.1.1 only a dropped connection does.
        if (version == MqttProtocolVersion.V500)
        {
            await device.DisconnectAsync(MqttReasonCode.DisconnectWithWillMessage);
        }
        else
        {
            device.AbortConnection();
        }

        var will = await watcher.ReceiveAsync();
        Assert.Equal("offline", will.Text());
        await device.DisposeAsync();
    }

    [Fact]
    public async Task Clean_disconnect_does_not_publish_the_will()
    {
        var topic = Clients.UniqueId("ps/v1/devices") + "/status";
        await using var watcher = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311));
        await watcher.SubscribeAsync(topic);
        await using (var device = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V311) with
        {
            Will = new MqttApplicationMessage(topic, Clients.Bytes("offline")),
        }))
        {
            await device.DisconnectAsync();
        }

        await watcher.PublishAsync(topic, Clients.Bytes("marker"));
        Assert.Equal("marker", (await watcher.ReceiveAsync()).Text());
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Keep_alive_pings_keep_an_idle_connection_open(MqttProtocolVersion version)
    {
        await using var client = await Clients.ConnectAsync(Clients.Options(broker, version) with { KeepAlive = TimeSpan.FromSeconds(1) });
        await client.WaitForPingResponsesAsync(3, Clients.Deadline);

        Assert.True(client.IsConnected);
    }
}
