using System.Globalization;
using PatientStream.Mqtt.Packets;
using PatientStream.Mqtt.Tests.Client;
using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Interop;

/// <summary>
/// Interoperability with independent peers: Mosquitto's own clients and Eclipse paho (Python), both directions,
/// both protocol versions. A payload with non-ASCII text and raw bytes proves it travels intact.
/// </summary>
public sealed class InteropTests(PlainBroker broker) : IClassFixture<PlainBroker>, IAsyncLifetime
{
    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        BrokerLog.AssertNoProtocolComplaints(broker);
        return Task.CompletedTask;
    }

    private static readonly byte[] Payload = [.. Clients.Bytes("{\"v\":1,\"unit\":\"°C\",\"seq\":42}"), 0x00, 0xFF, 0x7F];

    public static TheoryData<MqttProtocolVersion, MqttQualityOfService> VersionsAndQoS => new()
    {
        { MqttProtocolVersion.V311, MqttQualityOfService.AtLeastOnce },
        { MqttProtocolVersion.V311, MqttQualityOfService.ExactlyOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.AtLeastOnce },
        { MqttProtocolVersion.V500, MqttQualityOfService.ExactlyOnce },
    };

    private string Port => broker.Port.ToString(CultureInfo.InvariantCulture);

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static string Qos(MqttQualityOfService qos) => ((int)qos).ToString(CultureInfo.InvariantCulture);

    private static string MosquittoVersion(MqttProtocolVersion version) => version == MqttProtocolVersion.V500 ? "mqttv5" : "mqttv311";

    private static string PahoVersion(MqttProtocolVersion version) => version == MqttProtocolVersion.V500 ? "5" : "311";

    private static MqttApplicationMessage Message(string topic, MqttQualityOfService qos) => new(topic, Payload)
    {
        QualityOfService = qos,
        ContentType = "application/json",
        UserProperties = [new MqttUserProperty("origin", "patientstream")],
    };

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Mosquitto_sub_receives_what_our_client_publishes(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/interop");
        await using var sub = ChildProcess.Start(RequiredBinary.Find("mosquitto_sub", "mosquitto-clients"),
            ["-h", MosquittoFixture.Host, "-p", Port, "-t", topic, "-q", Qos(qos), "-C", "1", "-V", MosquittoVersion(version),
             "-F", "MSG %q %x %C %P"]);
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version));

        // mosquitto_sub does not say when its subscription is in place (its stdout is block-buffered on a pipe), so the
        // message is retained: it arrives whether the subscription comes before or after it.
        Assert.True((await publisher.PublishAsync(Message(topic, qos) with { Retain = true })).IsSuccess);

        var line = await sub.ReadLineAsync(l => l.StartsWith("MSG ", StringComparison.Ordinal));
        var fields = line.Split(' ');
        Assert.Equal(Qos(qos), fields[1]);
        Assert.Equal(Hex(Payload), fields[2]);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal("application/json", fields[3]);
            Assert.Equal("origin:patientstream", fields[4]);
        }
        Assert.Equal(0, await sub.WaitForExitAsync());
    }

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Our_subscriber_receives_what_mosquitto_pub_publishes(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/interop");
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        await subscriber.SubscribeAsync(topic, qos);
        var file = Path.Combine(broker.Folder, Clients.UniqueId("payload"));
        await File.WriteAllBytesAsync(file, Payload);
        string[] v5 = version == MqttProtocolVersion.V500 ? ["-D", "publish", "user-property", "origin", "mosquitto_pub"] : [];

        await using var pub = ChildProcess.Start(RequiredBinary.Find("mosquitto_pub", "mosquitto-clients"),
            ["-h", MosquittoFixture.Host, "-p", Port, "-t", topic, "-q", Qos(qos), "-V", MosquittoVersion(version), "-f", file, .. v5]);
        Assert.Equal(0, await pub.WaitForExitAsync());

        var message = await subscriber.ReceiveAsync();
        Assert.Equal(Payload, message.Payload.ToArray());
        Assert.Equal(qos, message.QualityOfService);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal([new MqttUserProperty("origin", "mosquitto_pub")], message.UserProperties);
        }
    }

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Paho_receives_what_our_client_publishes(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/interop");
        await using var paho = ChildProcess.Paho(["sub", MosquittoFixture.Host, Port, topic, PahoVersion(version), Qos(qos), "1"]);
        Assert.Equal("READY", await paho.ReadLineAsync());
        await using var publisher = await Clients.ConnectAsync(Clients.Options(broker, version));

        Assert.True((await publisher.PublishAsync(Message(topic, qos))).IsSuccess);

        var fields = (await paho.ReadLineAsync()).Split(' ');
        Assert.Equal(Qos(qos), fields[0]);
        Assert.Equal(Hex(Payload), fields[1]);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal("application/json", fields[2]);
            Assert.Equal("origin=patientstream", fields[3]);
        }
        Assert.True(0 == await paho.WaitForExitAsync(), paho.Errors);
    }

    [Theory]
    [MemberData(nameof(VersionsAndQoS))]
    public async Task Our_subscriber_receives_what_paho_publishes(MqttProtocolVersion version, MqttQualityOfService qos)
    {
        var topic = Clients.UniqueId("ps/interop");
        await using var subscriber = await Clients.ConnectAsync(Clients.Options(broker, version));
        await subscriber.SubscribeAsync(topic, qos);

        await using var paho = ChildProcess.Paho(["pub", MosquittoFixture.Host, Port, topic, PahoVersion(version), Qos(qos), Hex(Payload)]);
        Assert.True(0 == await paho.WaitForExitAsync(), paho.Errors);

        var message = await subscriber.ReceiveAsync();
        Assert.Equal(Payload, message.Payload.ToArray());
        Assert.Equal(qos, message.QualityOfService);
        if (version == MqttProtocolVersion.V500)
        {
            Assert.Equal("application/json", message.ContentType);
            Assert.Equal([new MqttUserProperty("origin", "paho")], message.UserProperties);
        }
    }
}
