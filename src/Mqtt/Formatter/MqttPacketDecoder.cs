using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Formatter;

/// <summary>
/// Decodes one packet from its fixed-header byte and body. Every violation becomes an
/// <see cref="MqttProtocolException"/> with a stable code; nothing else escapes, and nothing larger than the body is
/// ever allocated.
/// </summary>
public static class MqttPacketDecoder
{
    public static MqttPacket Decode(byte fixedHeader, ReadOnlySpan<byte> body, MqttProtocolVersion version)
    {
        var type = (MqttPacketType)(fixedHeader >> 4);
        var flags = fixedHeader & 0x0F;
        var v5 = version == MqttProtocolVersion.V500;
        var reader = new MqttBufferReader(body);
        if (type != MqttPacketType.Publish)
        {
            var expected = type is MqttPacketType.PubRel or MqttPacketType.Subscribe or MqttPacketType.Unsubscribe ? 0x02 : 0x00;
            if (flags != expected)
            {
                throw new MqttProtocolException(MqttProtocolError.ReservedFlags, $"Reserved flags of {type} are 0x{flags:X}.");
            }
        }
        MqttPacket packet = type switch
        {
            MqttPacketType.Connect => ReadConnect(ref reader),
            MqttPacketType.ConnAck => ReadConnAck(ref reader, v5),
            MqttPacketType.Publish => ReadPublish(ref reader, flags, v5),
            MqttPacketType.PubAck or MqttPacketType.PubRec or MqttPacketType.PubRel or MqttPacketType.PubComp => ReadAck(ref reader, type, v5),
            MqttPacketType.Subscribe => ReadSubscribe(ref reader, v5),
            MqttPacketType.SubAck => ReadSubAck(ref reader, v5),
            MqttPacketType.Unsubscribe => ReadUnsubscribe(ref reader, v5),
            MqttPacketType.UnsubAck => ReadUnsubAck(ref reader, v5),
            MqttPacketType.PingReq => MqttPingReqPacket.Instance,
            MqttPacketType.PingResp => MqttPingRespPacket.Instance,
            MqttPacketType.Disconnect => ReadDisconnect(ref reader, v5),
            MqttPacketType.Auth when v5 => ReadAuth(ref reader),
            _ => throw new MqttProtocolException(MqttProtocolError.InvalidPacketType, $"Packet type {(int)type} is not valid in {version}."),
        };
        reader.EnsureEnd();
        return packet;
    }

    private static MqttConnectPacket ReadConnect(ref MqttBufferReader r)
    {
        if (r.ReadString() != "MQTT")
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidProtocolName, "Protocol name is not MQTT.");
        }
        var level = r.ReadByte();
        if (level is not (4 or 5))
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidProtocolName, $"Protocol level {level} is not supported.");
        }
        var version = (MqttProtocolVersion)level;
        var v5 = version == MqttProtocolVersion.V500;
        var flags = r.ReadByte();
        if ((flags & 0x01) != 0)
        {
            throw new MqttProtocolException(MqttProtocolError.ReservedFlags, "CONNECT reserved flag is set.");
        }
        var willFlag = (flags & 0x04) != 0;
        var willQoS = (flags >> 3) & 0x03;
        var willRetain = (flags & 0x20) != 0;
        if (willQoS == 3 || (!willFlag && (willQoS != 0 || willRetain)))
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidQualityOfService, "Will flags are inconsistent.");
        }
        var hasUser = (flags & 0x80) != 0;
        var hasPassword = (flags & 0x40) != 0;
        if (!v5 && hasPassword && !hasUser)
        {
            throw new MqttProtocolException(MqttProtocolError.ReservedFlags, "Password flag without user name flag.");
        }
        var keepAlive = r.ReadUInt16();
        var properties = v5 ? MqttPropertiesCodec.Read(ref r) : null;
        var clientId = r.ReadString();
        MqttWillPacket? will = null;
        if (willFlag)
        {
            var willProperties = v5 ? MqttPropertiesCodec.Read(ref r) : null;
            var topic = ReadTopicName(ref r, allowEmpty: false);
            var payload = r.ReadBinaryData().ToArray();
            will = new MqttWillPacket(topic, payload, (MqttQualityOfService)willQoS, willRetain) { Properties = willProperties };
        }
        var user = hasUser ? r.ReadString() : null;
        ReadOnlyMemory<byte>? password = hasPassword ? r.ReadBinaryData().ToArray() : null;
        return new MqttConnectPacket
        {
            ProtocolVersion = version,
            CleanSession = (flags & 0x02) != 0,
            KeepAliveSeconds = keepAlive,
            ClientId = clientId,
            Will = will,
            UserName = user,
            Password = password,
            Properties = properties,
        };
    }

    private static MqttConnAckPacket ReadConnAck(ref MqttBufferReader r, bool v5)
    {
        var acknowledge = r.ReadByte();
        if ((acknowledge & 0xFE) != 0)
        {
            throw new MqttProtocolException(MqttProtocolError.ReservedFlags, "CONNACK reserved flags are set.");
        }
        var code = r.ReadByte();
        if (!v5 && code > 5)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidReasonCode, $"CONNACK return code {code} is not defined.");
        }
        return new MqttConnAckPacket
        {
            SessionPresent = acknowledge == 1,
            ReasonCode = code,
            Properties = v5 ? MqttPropertiesCodec.Read(ref r) : null,
        };
    }

    private static MqttPublishPacket ReadPublish(ref MqttBufferReader r, int flags, bool v5)
    {
        var qos = (flags >> 1) & 0x03;
        var dup = (flags & 0x08) != 0;
        if (qos == 3)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidQualityOfService, "PUBLISH with QoS 3.");
        }
        if (qos == 0 && dup)
        {
            throw new MqttProtocolException(MqttProtocolError.ReservedFlags, "PUBLISH with QoS 0 has DUP set.");
        }
        // An empty topic is legal only in MQTT 5 together with a topic alias (checked below).
        var topic = ReadTopicName(ref r, allowEmpty: v5);
        ushort packetId = 0;
        if (qos > 0)
        {
            packetId = ReadPacketId(ref r);
        }
        var properties = v5 ? MqttPropertiesCodec.Read(ref r) : null;
        if (topic.Length == 0 && properties?.TopicAlias is null)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidTopicName, "PUBLISH has an empty topic and no topic alias.");
        }
        if (properties?.SubscriptionIdentifiers.Count > 0 && properties.SubscriptionIdentifiers.Any(id => id == 0))
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidProperty, "Subscription identifier 0.");
        }
        return new MqttPublishPacket
        {
            Topic = topic,
            QualityOfService = (MqttQualityOfService)qos,
            Dup = dup,
            Retain = (flags & 0x01) != 0,
            PacketId = packetId,
            Properties = properties,
            Payload = r.ReadToEnd().ToArray(),
        };
    }

    private static MqttAckPacket ReadAck(ref MqttBufferReader r, MqttPacketType type, bool v5)
    {
        var packetId = ReadPacketId(ref r);
        if (!v5 || r.EndOfData)
        {
            return new MqttAckPacket(type, packetId);
        }
        var code = (MqttReasonCode)r.ReadByte();
        var properties = r.EndOfData ? null : MqttPropertiesCodec.Read(ref r);
        return new MqttAckPacket(type, packetId, code) { Properties = properties };
    }

    private static MqttSubscribePacket ReadSubscribe(ref MqttBufferReader r, bool v5)
    {
        var packetId = ReadPacketId(ref r);
        var properties = v5 ? MqttPropertiesCodec.Read(ref r) : null;
        var subscriptions = new List<MqttSubscription>();
        while (!r.EndOfData)
        {
            var filter = r.ReadString();
            if (!MqttTopic.IsValidFilter(filter))
            {
                throw new MqttProtocolException(MqttProtocolError.InvalidTopicFilter, "SUBSCRIBE carries an invalid topic filter.");
            }
            var options = r.ReadByte();
            var reservedMask = v5 ? 0xC0 : 0xFC;
            if ((options & reservedMask) != 0 || (options & 0x03) == 3 || ((options >> 4) & 0x03) == 3)
            {
                throw new MqttProtocolException(MqttProtocolError.ReservedFlags, "Subscription options use reserved bits.");
            }
            subscriptions.Add(new MqttSubscription(filter, (MqttQualityOfService)(options & 0x03))
            {
                NoLocal = (options & 0x04) != 0,
                RetainAsPublished = (options & 0x08) != 0,
                RetainHandling = (byte)((options >> 4) & 0x03),
            });
        }
        if (subscriptions.Count == 0)
        {
            throw new MqttProtocolException(MqttProtocolError.UnexpectedPacket, "SUBSCRIBE without topic filters.");
        }
        return new MqttSubscribePacket { PacketId = packetId, Properties = properties, Subscriptions = subscriptions };
    }

    private static MqttSubAckPacket ReadSubAck(ref MqttBufferReader r, bool v5)
    {
        var packetId = ReadPacketId(ref r);
        var properties = v5 ? MqttPropertiesCodec.Read(ref r) : null;
        var codes = ReadReasonCodes(ref r);
        if (!v5 && codes.Any(c => c is not (MqttReasonCode.Success or MqttReasonCode.GrantedQoS1 or MqttReasonCode.GrantedQoS2 or MqttReasonCode.UnspecifiedError)))
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidReasonCode, "SUBACK return code not defined in MQTT 3.1.1.");
        }
        return new MqttSubAckPacket { PacketId = packetId, Properties = properties, ReasonCodes = codes };
    }

    private static MqttUnsubscribePacket ReadUnsubscribe(ref MqttBufferReader r, bool v5)
    {
        var packetId = ReadPacketId(ref r);
        var properties = v5 ? MqttPropertiesCodec.Read(ref r) : null;
        var filters = new List<string>();
        while (!r.EndOfData)
        {
            var filter = r.ReadString();
            if (!MqttTopic.IsValidFilter(filter))
            {
                throw new MqttProtocolException(MqttProtocolError.InvalidTopicFilter, "UNSUBSCRIBE carries an invalid topic filter.");
            }
            filters.Add(filter);
        }
        if (filters.Count == 0)
        {
            throw new MqttProtocolException(MqttProtocolError.UnexpectedPacket, "UNSUBSCRIBE without topic filters.");
        }
        return new MqttUnsubscribePacket { PacketId = packetId, Properties = properties, TopicFilters = filters };
    }

    private static MqttUnsubAckPacket ReadUnsubAck(ref MqttBufferReader r, bool v5)
    {
        var packetId = ReadPacketId(ref r);
        if (!v5)
        {
            return new MqttUnsubAckPacket { PacketId = packetId };
        }
        var properties = MqttPropertiesCodec.Read(ref r);
        return new MqttUnsubAckPacket { PacketId = packetId, Properties = properties, ReasonCodes = ReadReasonCodes(ref r) };
    }

    private static MqttDisconnectPacket ReadDisconnect(ref MqttBufferReader r, bool v5)
    {
        if (!v5 || r.EndOfData)
        {
            return new MqttDisconnectPacket();
        }
        var code = (MqttReasonCode)r.ReadByte();
        var properties = r.EndOfData ? null : MqttPropertiesCodec.Read(ref r);
        return new MqttDisconnectPacket { ReasonCode = code, Properties = properties };
    }

    private static MqttAuthPacket ReadAuth(ref MqttBufferReader r)
    {
        if (r.EndOfData)
        {
            return new MqttAuthPacket();
        }
        var code = (MqttReasonCode)r.ReadByte();
        var properties = r.EndOfData ? null : MqttPropertiesCodec.Read(ref r);
        return new MqttAuthPacket { ReasonCode = code, Properties = properties };
    }

    private static List<MqttReasonCode> ReadReasonCodes(ref MqttBufferReader r)
    {
        var codes = new List<MqttReasonCode>(r.Remaining);
        while (!r.EndOfData)
        {
            codes.Add((MqttReasonCode)r.ReadByte());
        }
        if (codes.Count == 0)
        {
            throw new MqttProtocolException(MqttProtocolError.Truncated, "Acknowledgement without reason codes.");
        }
        return codes;
    }

    private static ushort ReadPacketId(ref MqttBufferReader r)
    {
        var id = r.ReadUInt16();
        return id != 0 ? id : throw new MqttProtocolException(MqttProtocolError.InvalidPacketIdentifier, "Packet identifier 0.");
    }

    private static string ReadTopicName(ref MqttBufferReader r, bool allowEmpty)
    {
        var topic = r.ReadString();
        if ((!allowEmpty && topic.Length == 0) || topic.AsSpan().IndexOfAny('+', '#') >= 0)
        {
            throw new MqttProtocolException(MqttProtocolError.InvalidTopicName, "Topic name is empty or contains a wildcard.");
        }
        return topic;
    }
}
