using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Formatter;

/// <summary>Reads and writes the MQTT 5 property block (a variable byte integer length followed by properties).</summary>
internal static class MqttPropertiesCodec
{
    public static void Write(MqttBufferWriter body, MqttBufferWriter scratch, MqttProperties? properties)
    {
        scratch.Reset();
        if (properties is not null)
        {
            WriteContent(scratch, properties);
        }
        body.WriteVariableByteInteger((uint)scratch.Length);
        body.WriteBytes(scratch.WrittenSpan);
    }

    private static void WriteContent(MqttBufferWriter w, MqttProperties p)
    {
        WriteByte(w, MqttPropertyId.PayloadFormatIndicator, p.PayloadFormatIndicator);
        WriteUInt32(w, MqttPropertyId.MessageExpiryInterval, p.MessageExpiryInterval);
        WriteString(w, MqttPropertyId.ContentType, p.ContentType);
        WriteString(w, MqttPropertyId.ResponseTopic, p.ResponseTopic);
        WriteBinary(w, MqttPropertyId.CorrelationData, p.CorrelationData);
        foreach (var id in p.SubscriptionIdentifiers)
        {
            w.WriteByte(MqttPropertyId.SubscriptionIdentifier);
            w.WriteVariableByteInteger(id);
        }
        WriteUInt32(w, MqttPropertyId.SessionExpiryInterval, p.SessionExpiryInterval);
        WriteString(w, MqttPropertyId.AssignedClientIdentifier, p.AssignedClientIdentifier);
        WriteUInt16(w, MqttPropertyId.ServerKeepAlive, p.ServerKeepAlive);
        WriteString(w, MqttPropertyId.AuthenticationMethod, p.AuthenticationMethod);
        WriteBinary(w, MqttPropertyId.AuthenticationData, p.AuthenticationData);
        WriteByte(w, MqttPropertyId.RequestProblemInformation, p.RequestProblemInformation);
        WriteUInt32(w, MqttPropertyId.WillDelayInterval, p.WillDelayInterval);
        WriteByte(w, MqttPropertyId.RequestResponseInformation, p.RequestResponseInformation);
        WriteString(w, MqttPropertyId.ResponseInformation, p.ResponseInformation);
        WriteString(w, MqttPropertyId.ServerReference, p.ServerReference);
        WriteString(w, MqttPropertyId.ReasonString, p.ReasonString);
        WriteUInt16(w, MqttPropertyId.ReceiveMaximum, p.ReceiveMaximum);
        WriteUInt16(w, MqttPropertyId.TopicAliasMaximum, p.TopicAliasMaximum);
        WriteUInt16(w, MqttPropertyId.TopicAlias, p.TopicAlias);
        WriteByte(w, MqttPropertyId.MaximumQoS, p.MaximumQoS);
        WriteByte(w, MqttPropertyId.RetainAvailable, p.RetainAvailable);
        foreach (var user in p.UserProperties)
        {
            w.WriteByte(MqttPropertyId.UserProperty);
            w.WriteString(user.Name);
            w.WriteString(user.Value);
        }
        WriteUInt32(w, MqttPropertyId.MaximumPacketSize, p.MaximumPacketSize);
        WriteByte(w, MqttPropertyId.WildcardSubscriptionAvailable, p.WildcardSubscriptionAvailable);
        WriteByte(w, MqttPropertyId.SubscriptionIdentifiersAvailable, p.SubscriptionIdentifiersAvailable);
        WriteByte(w, MqttPropertyId.SharedSubscriptionAvailable, p.SharedSubscriptionAvailable);
    }

    private static void WriteByte(MqttBufferWriter w, byte id, byte? value)
    {
        if (value is { } v)
        {
            w.WriteByte(id);
            w.WriteByte(v);
        }
    }

    private static void WriteUInt16(MqttBufferWriter w, byte id, ushort? value)
    {
        if (value is { } v)
        {
            w.WriteByte(id);
            w.WriteUInt16(v);
        }
    }

    private static void WriteUInt32(MqttBufferWriter w, byte id, uint? value)
    {
        if (value is { } v)
        {
            w.WriteByte(id);
            w.WriteUInt32(v);
        }
    }

    private static void WriteString(MqttBufferWriter w, byte id, string? value)
    {
        if (value is not null)
        {
            w.WriteByte(id);
            w.WriteString(value);
        }
    }

    private static void WriteBinary(MqttBufferWriter w, byte id, ReadOnlyMemory<byte>? value)
    {
        if (value is { } v)
        {
            w.WriteByte(id);
            w.WriteBinaryData(v.Span);
        }
    }

    /// <summary>Reads a property block; returns null when it is empty so packets without properties stay cheap.</summary>
    public static MqttProperties? Read(ref MqttBufferReader reader)
    {
        var length = reader.ReadVariableByteInteger();
        if (length == 0)
        {
            return null;
        }
        if (length > (uint)reader.Remaining)
        {
            throw new MqttProtocolException(MqttProtocolError.Truncated, "Property length runs past the packet.");
        }
        var block = reader.Slice((int)length);
        var p = new MqttProperties();
        while (!block.EndOfData)
        {
            var id = block.ReadVariableByteInteger();
            ReadOne(ref block, p, id);
        }
        return p;
    }

    private static void ReadOne(ref MqttBufferReader r, MqttProperties p, uint id)
    {
        switch (id)
        {
            case MqttPropertyId.PayloadFormatIndicator:
                p.PayloadFormatIndicator = Once(p.PayloadFormatIndicator, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.MessageExpiryInterval:
                p.MessageExpiryInterval = Once(p.MessageExpiryInterval, r.ReadUInt32());
                break;
            case MqttPropertyId.ContentType:
                p.ContentType = Once(p.ContentType, r.ReadString());
                break;
            case MqttPropertyId.ResponseTopic:
                p.ResponseTopic = Once(p.ResponseTopic, r.ReadString());
                break;
            case MqttPropertyId.CorrelationData:
                p.CorrelationData = Once(p.CorrelationData, (ReadOnlyMemory<byte>?)r.ReadBinaryData().ToArray());
                break;
            case MqttPropertyId.SubscriptionIdentifier:
                var subscriptionId = r.ReadVariableByteInteger();
                if (subscriptionId == 0)
                {
                    throw new MqttProtocolException(MqttProtocolError.InvalidProperty, "Subscription identifier 0 is not allowed.");
                }
                p.SubscriptionIdentifiers.Add(subscriptionId);
                break;
            case MqttPropertyId.SessionExpiryInterval:
                p.SessionExpiryInterval = Once(p.SessionExpiryInterval, r.ReadUInt32());
                break;
            case MqttPropertyId.AssignedClientIdentifier:
                p.AssignedClientIdentifier = Once(p.AssignedClientIdentifier, r.ReadString());
                break;
            case MqttPropertyId.ServerKeepAlive:
                p.ServerKeepAlive = Once(p.ServerKeepAlive, r.ReadUInt16());
                break;
            case MqttPropertyId.AuthenticationMethod:
                p.AuthenticationMethod = Once(p.AuthenticationMethod, r.ReadString());
                break;
            case MqttPropertyId.AuthenticationData:
                p.AuthenticationData = Once(p.AuthenticationData, (ReadOnlyMemory<byte>?)r.ReadBinaryData().ToArray());
                break;
            case MqttPropertyId.RequestProblemInformation:
                p.RequestProblemInformation = Once(p.RequestProblemInformation, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.WillDelayInterval:
                p.WillDelayInterval = Once(p.WillDelayInterval, r.ReadUInt32());
                break;
            case MqttPropertyId.RequestResponseInformation:
                p.RequestResponseInformation = Once(p.RequestResponseInformation, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.ResponseInformation:
                p.ResponseInformation = Once(p.ResponseInformation, r.ReadString());
                break;
            case MqttPropertyId.ServerReference:
                p.ServerReference = Once(p.ServerReference, r.ReadString());
                break;
            case MqttPropertyId.ReasonString:
                p.ReasonString = Once(p.ReasonString, r.ReadString());
                break;
            case MqttPropertyId.ReceiveMaximum:
                p.ReceiveMaximum = Once(p.ReceiveMaximum, NonZero(r.ReadUInt16(), "Receive maximum"));
                break;
            case MqttPropertyId.TopicAliasMaximum:
                p.TopicAliasMaximum = Once(p.TopicAliasMaximum, r.ReadUInt16());
                break;
            case MqttPropertyId.TopicAlias:
                p.TopicAlias = Once(p.TopicAlias, NonZero(r.ReadUInt16(), "Topic alias"));
                break;
            case MqttPropertyId.MaximumQoS:
                p.MaximumQoS = Once(p.MaximumQoS, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.RetainAvailable:
                p.RetainAvailable = Once(p.RetainAvailable, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.UserProperty:
                var name = r.ReadString();
                p.UserProperties.Add(new MqttUserProperty(name, r.ReadString()));
                break;
            case MqttPropertyId.MaximumPacketSize:
                var max = r.ReadUInt32();
                p.MaximumPacketSize = Once(p.MaximumPacketSize, max == 0
                    ? throw new MqttProtocolException(MqttProtocolError.InvalidProperty, "Maximum packet size 0 is not allowed.")
                    : max);
                break;
            case MqttPropertyId.WildcardSubscriptionAvailable:
                p.WildcardSubscriptionAvailable = Once(p.WildcardSubscriptionAvailable, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.SubscriptionIdentifiersAvailable:
                p.SubscriptionIdentifiersAvailable = Once(p.SubscriptionIdentifiersAvailable, Boolean(r.ReadByte()));
                break;
            case MqttPropertyId.SharedSubscriptionAvailable:
                p.SharedSubscriptionAvailable = Once(p.SharedSubscriptionAvailable, Boolean(r.ReadByte()));
                break;
            default:
                throw new MqttProtocolException(MqttProtocolError.InvalidProperty, $"Unknown property identifier 0x{id:X2}.");
        }
    }

    private static T Once<T>(T? existing, T value)
    {
        if (existing is not null)
        {
            throw new MqttProtocolException(MqttProtocolError.DuplicateProperty, "A property that may appear once appears twice.");
        }
        return value;
    }

    private static byte Boolean(byte value) => value <= 1
        ? value
        : throw new MqttProtocolException(MqttProtocolError.InvalidProperty, "Property byte value out of range.");

    private static ushort NonZero(ushort value, string what) => value != 0
        ? value
        : throw new MqttProtocolException(MqttProtocolError.InvalidProperty, what + " 0 is not allowed.");
}
