using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Tests.Client;

public sealed class Mqtt5Tests(PlainBroker broker) : IClassFixture<PlainBroker>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        BrokerLog.AssertNoProtocolComplaints(broker);
        return Task.CompletedTask;
    }

    private MqttClientOptions V5(string? clientId = null) => Clients.Options(broker, MqttProtocolVersion.V500, clientId);

    [Fact]
    public async Task Message_properties_travel_through_the_broker()
    {
        await using var subscriber = await Clients.ConnectAsync(V5());
        await using var publisher = await Clients.ConnectAsync(V5());
        var topic = Clients.UniqueId("ps/props");
        await subscriber.SubscribeAsync(topic, MqttQualityOfService.ExactlyOnce);

        await publisher.PublishAsync(new MqttApplicationMessage(topic, Clients.Bytes("{\"v\":1}"))
        {
            QualityOfService = MqttQualityOfService.ExactlyOnce,
            ContentType = "application/json",
            ResponseTopic = topic + "/reply",
            CorrelationData = new byte[] { 0xCA, 0xFE },
            MessageExpiryInterval = 300,
            PayloadIsUtf8 = true,
            UserProperties = [new MqttUserProperty("schema", "ps/v1"), new MqttUserProperty("site", "ward-7")],
        });

        var message = await subscriber.ReceiveAsync();
        Assert.Equal("application/json", message.ContentType);
        Assert.Equal(topic + "/reply", message.ResponseTopic);
        Assert.Equal(new byte[] { 0xCA, 0xFE }, message.CorrelationData!.Value.ToArray());
        Assert.InRange(message.MessageExpiryInterval!.Value, 1u, 300u);
        Assert.True(message.PayloadIsUtf8);
        Assert.Equal([new MqttUserProperty("schema", "ps/v1"), new MqttUserProperty("site", "ward-7")], message.UserProperties);
    }

    [Fact]
    public async Task Connect_result_surfaces_the_brokers_limits_and_an_assigned_client_id()
    {
        await using var client = new MqttClient(V5(clientId: ""));

        var result = await client.ConnectAsync();

        Assert.True(result.IsSuccess);
        Assert.False(string.IsNullOrEmpty(result.AssignedClientId));
        // Mosquitto announces its max_inflight_messages (default 20) as receive maximum.
        Assert.Equal(20, result.ReceiveMaximum);
        Assert.True(result.TopicAliasMaximum > 0);
    }

    [Fact]
    public async Task Topic_aliases_replace_repeated_topics_and_subscribers_still_see_the_full_topic()
    {
        await using var subscriber = await Clients.ConnectAsync(V5());
        await using var publisher = await Clients.ConnectAsync(V5() with { UseTopicAliases = true });
        var sent = new List<MqttPublishPacket>();
        publisher.PacketEncoded = p =>
        {
            if (p is MqttPublishPacket publish)
            {
                lock (sent)
                {
                    sent.Add(publish);
                }
            }
        };
        var topic = Clients.UniqueId("ps/v1/devices") + "/readings";
        await subscriber.SubscribeAsync(topic);

        for (var i = 0; i < 3; i++)
        {
            await publisher.PublishAsync(topic, Clients.Bytes("r" + i));
        }

        for (var i = 0; i < 3; i++)
        {
            var message = await subscriber.ReceiveAsync();
            Assert.Equal(topic, message.Topic);
            Assert.Equal("r" + i, message.Text());
        }
        lock (sent)
        {
            Assert.Equal(topic, sent[0].Topic);
            Assert.All(sent.Skip(1), p => Assert.Equal("", p.Topic));
            Assert.All(sent, p => Assert.Equal((ushort)1, p.Properties!.TopicAlias));
        }
    }

    [Fact]
    public async Task Broker_does_not_send_a_packet_above_the_clients_maximum_packet_size()
    {
        await using var subscriber = await Clients.ConnectAsync(V5() with { MaximumPacketSize = 1024 });
        await using var publisher = await Clients.ConnectAsync(V5());
        var topic = Clients.UniqueId("ps/size");
        await subscriber.SubscribeAsync(topic);

        await publisher.PublishAsync(topic, new byte[4096]);
        await publisher.PublishAsync(topic, Clients.Bytes("small"));

        Assert.Equal("small", (await subscriber.ReceiveAsync()).Text());
        Assert.True(subscriber.IsConnected);
    }
}

public sealed class SmallPacketBroker() : PatientStream.Testing.MosquittoFixture(new PatientStream.Testing.MosquittoOptions
{
    ExtraConfig = "max_packet_size 2048",
});

public sealed class MaximumPacketSizeTests(SmallPacketBroker broker) : IClassFixture<SmallPacketBroker>
{
    [Fact]
    public async Task Publication_above_the_brokers_maximum_packet_size_fails_alone_and_the_connection_stays()
    {
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V500));

        var tooLarge = await publisher.PublishAsync("ps/size", new byte[4096]);
        var fits = await publisher.PublishAsync("ps/size", new byte[100]);

        Assert.Equal(MqttReasonCode.PacketTooLarge, tooLarge.ReasonCode);
        Assert.True(fits.IsSuccess);
        Assert.True(publisher.IsConnected);
        Assert.Equal(0, publisher.InflightCount);
    }
}

public sealed class NoRetainBroker() : PatientStream.Testing.MosquittoFixture(new PatientStream.Testing.MosquittoOptions
{
    ExtraConfig = "retain_available false",
});

public sealed class ServerDisconnectTests(NoRetainBroker broker) : IClassFixture<NoRetainBroker>
{
    [Fact]
    public async Task Server_disconnect_surfaces_its_reason_code()
    {
        await using var client = await Clients.ConnectAsync(Clients.Options(broker, MqttProtocolVersion.V500) with { AutoReconnect = false });
        var disconnected = Clients.NextDisconnected(client);

        var accepted = await client.PublishAsync(new MqttApplicationMessage("ps/retained", Clients.Bytes("x")) { Retain = true, QualityOfService = MqttQualityOfService.AtMostOnce });
        Assert.True(accepted.IsSuccess);

        var info = (await disconnected).Info;
        Assert.True(info.ByServer, $"{info.ReasonCode} {info.Exception}");
        Assert.Equal(MqttReasonCode.RetainNotSupported, info.ReasonCode);
    }
}
