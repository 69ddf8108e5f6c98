using System.Text;
using PatientStream.Mqtt.Formatter;
using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Tests.Formatter;

public sealed class PacketRoundTripTests
{
    public static TheoryData<MqttProtocolVersion> Versions => new() { MqttProtocolVersion.V311, MqttProtocolVersion.V500 };

    [Theory]
    [MemberData(nameof(Versions))]
    public void Every_packet_type_survives_encode_then_decode_byte_for_byte(MqttProtocolVersion version)
    {
        var encoder = new MqttPacketEncoder(version);
        var seen = new HashSet<MqttPacketType>();
        foreach (var packet in SamplePackets.For(version))
        {
            var bytes = encoder.Encode(packet);
            var decoded = Assert.Single(Frames.DecodeAll(bytes, version));
            Assert.Equal(packet.Type, decoded.Type);
            Assert.Equal(bytes, encoder.Encode(decoded));
            seen.Add(packet.Type);
        }
        var expected = Enum.GetValues<MqttPacketType>().Where(t => version == MqttProtocolVersion.V500 || t != MqttPacketType.Auth);
        Assert.Equal(expected.Order(), seen.Order());
    }

    [Fact]
    public void Mqtt5_publish_keeps_every_property()
    {
        var packet = (MqttPublishPacket)SamplePackets.For(MqttProtocolVersion.V500).Single(p => p is MqttPublishPacket { PacketId: 42 });
        var bytes = new MqttPacketEncoder(MqttProtocolVersion.V500).Encode(packet);

        var decoded = (MqttPublishPacket)Assert.Single(Frames.DecodeAll(bytes, MqttProtocolVersion.V500));

        Assert.Equal("ps/v1/devices/dev-1/readings", decoded.Topic);
        Assert.Equal("{\"v\":1}", Encoding.UTF8.GetString(decoded.Payload.Span));
        Assert.True(decoded.Dup);
        Assert.True(decoded.Retain);
        Assert.Equal(MqttQualityOfService.ExactlyOnce, decoded.QualityOfService);
        var p = decoded.Properties!;
        Assert.Equal("application/json", p.ContentType);
        Assert.Equal("reply/here", p.ResponseTopic);
        Assert.Equal(new byte[] { 1, 2, 3 }, p.CorrelationData!.Value.ToArray());
        Assert.Equal(120u, p.MessageExpiryInterval);
        Assert.Equal((ushort)3, p.TopicAlias);
        Assert.Equal(new uint[] { 7, 300 }, p.SubscriptionIdentifiers);
        Assert.Equal([new MqttUserProperty("a", "1"), new MqttUserProperty("a", "2")], p.UserProperties);
    }

    [Fact]
    public void Mqtt311_connect_has_the_documented_wire_form()
    {
        var packet = new MqttConnectPacket { ClientId = "c", KeepAliveSeconds = 60, CleanSession = true };

        var bytes = new MqttPacketEncoder(MqttProtocolVersion.V311).Encode(packet);

        // 3.1.1 §3.1: fixed header, "MQTT", level 4, clean session flag, keep-alive 60, client id "c".
        Assert.Equal(Frames.Hex("10 0D 00 04 4D 51 54 54 04 02 00 3C 00 01 63"), bytes);
    }

    [Fact]
    public void Remaining_length_uses_multi_byte_encoding_for_large_payloads()
    {
        var packet = new MqttPublishPacket { Topic = "t", Payload = new byte[200_000] };

        var bytes = new MqttPacketEncoder(MqttProtocolVersion.V311).Encode(packet);

        // 200,003 bytes of body: 0xC3 0x9A 0x0C in the variable byte integer encoding.
        Assert.Equal(Frames.Hex("30 C3 9A 0C"), bytes[..4]);
        var decoded = (MqttPublishPacket)Assert.Single(Frames.DecodeAll(bytes, MqttProtocolVersion.V311));
        Assert.Equal(200_000, decoded.Payload.Length);
    }

    [Fact]
    public void Encoder_refuses_a_packet_above_the_peers_maximum_and_writes_nothing()
    {
        var encoder = new MqttPacketEncoder(MqttProtocolVersion.V500);
        var output = new MqttBufferWriter();

        var error = Assert.Throws<MqttProtocolException>(() =>
            encoder.Encode(new MqttPublishPacket { Topic = "t", Payload = new byte[100] }, output, maximumPacketSize: 64));

        Assert.Equal(MqttProtocolError.PacketTooLarge, error.Error);
        Assert.Equal("mqtt.packet-too-large", error.Code);
        Assert.Equal(0, output.Length);
    }

    [Fact]
    public void Frame_reader_waits_for_the_rest_of_a_split_frame()
    {
        var bytes = new MqttPacketEncoder(MqttProtocolVersion.V311).Encode(new MqttPublishPacket { Topic = "a/b", Payload = new byte[10] });
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var partial = new System.Buffers.ReadOnlySequence<byte>(bytes[..cut]);
            Assert.False(MqttFrameReader.TryReadFrame(ref partial, 1024, out _, out _));
        }
        Assert.Single(Frames.DecodeAll(bytes, MqttProtocolVersion.V311));
    }
}
