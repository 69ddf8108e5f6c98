using PatientStream.Mqtt.Packets;
using PatientStream.Mqtt.Tests.Formatter;

namespace PatientStream.Mqtt.Tests.Client;

public sealed class HostilePeerTests
{
    public static TheoryData<MqttProtocolVersion, string, MqttProtocolError> Garbage => new()
    {
        { MqttProtocolVersion.V311, "36 03 00 01 61", MqttProtocolError.InvalidQualityOfService },
        { MqttProtocolVersion.V500, "36 03 00 01 61", MqttProtocolError.InvalidQualityOfService },
        { MqttProtocolVersion.V500, "30 80 80 80 01", MqttProtocolError.PacketTooLarge },
        { MqttProtocolVersion.V311, "30 FF FF FF FF 7F", MqttProtocolError.MalformedRemainingLength },
        { MqttProtocolVersion.V500, "30 04 00 02 C3 28", MqttProtocolError.InvalidUtf8 },
        { MqttProtocolVersion.V500, "30 06 00 00 03 23 00 07", MqttProtocolError.InvalidTopicAlias },
        { MqttProtocolVersion.V311, "20 02 00 00", MqttProtocolError.UnexpectedPacket },
    };

    [Theory]
    [MemberData(nameof(Garbage))]
    public async Task Malformed_packet_from_the_broker_ends_the_connection_with_a_typed_error(MqttProtocolVersion version, string hex, MqttProtocolError expected)
    {
        using var deadline = new CancellationTokenSource(Clients.Deadline);
        await using var peer = new ScriptedPeer(version);
        await using var client = new MqttClient(new MqttClientOptions { Port = peer.Port, ProtocolVersion = version, AutoReconnect = false });
        var accepted = peer.AcceptAsync(deadline.Token);
        Assert.True((await client.ConnectAsync(deadline.Token)).IsSuccess);
        await accepted;
        var disconnected = Clients.NextDisconnected(client);

        await peer.SendAsync(Frames.Hex(hex), deadline.Token);

        var info = (await disconnected).Info;
        var error = Assert.IsType<MqttProtocolException>(info.Exception);
        Assert.Equal(expected, error.Error);
        Assert.False(client.IsConnected);
        var last = await peer.ReceiveAsync(deadline.Token);
        if (version == MqttProtocolVersion.V500)
        {
            // MQTT 5: the client says why before it closes.
            Assert.Equal(error.DisconnectReason, Assert.IsType<MqttDisconnectPacket>(last).ReasonCode);
            Assert.Null(await peer.ReceiveAsync(deadline.Token));
        }
        else
        {
            Assert.Null(last);
        }
    }

    [Fact]
    public async Task Truncated_frame_followed_by_close_is_a_lost_connection_not_a_hang()
    {
        using var deadline = new CancellationTokenSource(Clients.Deadline);
        await using var peer = new ScriptedPeer(MqttProtocolVersion.V311);
        await using var client = new MqttClient(new MqttClientOptions { Port = peer.Port, AutoReconnect = false });
        var accepted = peer.AcceptAsync(deadline.Token);
        await client.ConnectAsync(deadline.Token);
        await accepted;
        var disconnected = Clients.NextDisconnected(client);

        await peer.SendAsync(Frames.Hex("30 20 00 03 61 2F 62"), deadline.Token);
        await peer.DisposeAsync();

        var info = (await disconnected).Info;
        Assert.IsType<MqttConnectionException>(info.Exception);
    }

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "90 04 00 01 01 80", MqttReasonCode.UnspecifiedError)]
    [InlineData(MqttProtocolVersion.V500, "90 0E 00 01 09 1F 00 06 64 65 6E 69 65 64 01 87", MqttReasonCode.NotAuthorized)]
    public async Task Suback_failure_code_is_surfaced_per_filter(MqttProtocolVersion version, string subAck, MqttReasonCode expected)
    {
        using var deadline = new CancellationTokenSource(Clients.Deadline);
        await using var peer = new ScriptedPeer(version);
        await using var client = new MqttClient(new MqttClientOptions { Port = peer.Port, ProtocolVersion = version, AutoReconnect = false });
        var accepted = peer.AcceptAsync(deadline.Token);
        await client.ConnectAsync(deadline.Token);
        await accepted;

        var subscribing = client.SubscribeAsync([new MqttSubscription("a/b"), new MqttSubscription("c/d")], deadline.Token);
        var subscribe = Assert.IsType<MqttSubscribePacket>(await peer.ReceiveAsync(deadline.Token));
        Assert.Equal((ushort)1, subscribe.PacketId);
        await peer.SendAsync(Frames.Hex(subAck), deadline.Token);
        var result = await subscribing;

        Assert.False(result.IsSuccess);
        Assert.Equal(MqttReasonCode.GrantedQoS1, result.Items[0].ReasonCode);
        Assert.Equal(expected, result.Items[1].ReasonCode);
        Assert.Equal(version == MqttProtocolVersion.V500 ? "denied" : null, result.ReasonString);
    }
}
