using PatientStream.Mqtt.Packets;

namespace PatientStream.Mqtt.Client;

/// <summary>
/// A QoS 1/2 publication. It gets its packet identifier (and a slot of the inflight window) only when the writer loop
/// sends it, so identifiers in use never exceed the window however many callers are queued.
/// </summary>
internal sealed class PendingPublish(MqttPublishPacket packet)
{
    public MqttPublishPacket Packet { get; set; } = packet;
    public long Sequence { get; set; }
    public TaskCompletionSource<MqttPublishResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Has an identifier and a window slot: it went on the wire, so a new connection must resend it with DUP.</summary>
    public bool HoldsSlot { get; set; }

    /// <summary>PUBREC received: only PUBREL/PUBCOMP remain (QoS 2).</summary>
    public bool Released { get; set; }
}

/// <summary>
/// Client-side session state that outlives a connection: packet identifiers in use, unacknowledged publications,
/// QoS 2 messages received but not yet released, and the subscriptions to restore after a reconnect.
/// </summary>
internal sealed class MqttSession
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ushort, PendingPublish> _publishes = [];
    private readonly Dictionary<ushort, TaskCompletionSource<MqttPacket>> _requests = [];
    private readonly HashSet<ushort> _inboundQoS2 = [];
    private readonly Dictionary<string, MqttSubscription> _subscriptions = new(StringComparer.Ordinal);
    private ushort _lastId;
    private long _sequence;

    /// <summary>Gives a publication about to be sent its packet identifier and tracks it until acknowledged.</summary>
    public void Assign(PendingPublish pending)
    {
        lock (_lock)
        {
            var id = NextId();
            pending.Packet = pending.Packet with { PacketId = id };
            pending.Sequence = ++_sequence;
            pending.HoldsSlot = true;
            _publishes.Add(id, pending);
        }
    }

    public (ushort Id, Task<MqttPacket> Response) AddRequest()
    {
        lock (_lock)
        {
            var id = NextId();
            var completion = new TaskCompletionSource<MqttPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
            _requests.Add(id, completion);
            return (id, completion.Task);
        }
    }

    private ushort NextId()
    {
        for (var attempt = 0; attempt < ushort.MaxValue; attempt++)
        {
            _lastId = _lastId == ushort.MaxValue ? (ushort)1 : (ushort)(_lastId + 1);
            if (!_publishes.ContainsKey(_lastId) && !_requests.ContainsKey(_lastId))
            {
                return _lastId;
            }
        }
        throw new InvalidOperationException("All 65,535 packet identifiers are in use.");
    }

    /// <summary>Removes the publication an acknowledgement of <paramref name="expected"/> QoS settles, if it is ours.</summary>
    public PendingPublish? RemovePublish(ushort id, MqttQualityOfService expected)
    {
        lock (_lock)
        {
            if (_publishes.TryGetValue(id, out var pending) && pending.Packet.QualityOfService == expected)
            {
                _publishes.Remove(id);
                return pending;
            }
            return null;
        }
    }

    public PendingPublish? MarkReleased(ushort id)
    {
        lock (_lock)
        {
            if (_publishes.TryGetValue(id, out var pending) && pending.Packet.QualityOfService == MqttQualityOfService.ExactlyOnce)
            {
                pending.Released = true;
                return pending;
            }
            return null;
        }
    }

    public PendingPublish? RemovePublish(ushort id)
    {
        lock (_lock)
        {
            return _publishes.Remove(id, out var pending) ? pending : null;
        }
    }

    /// <summary>What a new connection must resend first, in original order.</summary>
    public List<PendingPublish> SentPublishes()
    {
        lock (_lock)
        {
            return _publishes.Values.OrderBy(p => p.Sequence).ToList();
        }
    }

    public List<PendingPublish> RemoveAllPublishes()
    {
        lock (_lock)
        {
            var all = _publishes.Values.ToList();
            _publishes.Clear();
            return all;
        }
    }

    public bool CompleteRequest(ushort id, MqttPacket response)
    {
        lock (_lock)
        {
            if (_requests.Remove(id, out var completion))
            {
                return completion.TrySetResult(response);
            }
            return false;
        }
    }

    public void ForgetRequest(ushort id)
    {
        lock (_lock)
        {
            _requests.Remove(id);
        }
    }

    public void FailRequests(Exception error)
    {
        lock (_lock)
        {
            foreach (var completion in _requests.Values)
            {
                completion.TrySetException(error);
            }
            _requests.Clear();
        }
    }

    /// <summary>Records an inbound QoS 2 message; false when it was already received (a redelivery to acknowledge, not deliver).</summary>
    public bool TryAddInboundQoS2(ushort id)
    {
        lock (_lock)
        {
            return _inboundQoS2.Add(id);
        }
    }

    public bool IsInboundQoS2(ushort id)
    {
        lock (_lock)
        {
            return _inboundQoS2.Contains(id);
        }
    }

    public void ReleaseInboundQoS2(ushort id)
    {
        lock (_lock)
        {
            _inboundQoS2.Remove(id);
        }
    }

    /// <summary>The broker started a new session: nothing it knew about our receipts survives.</summary>
    public void ClearInbound()
    {
        lock (_lock)
        {
            _inboundQoS2.Clear();
        }
    }

    public void RecordSubscriptions(IEnumerable<MqttSubscription> granted)
    {
        lock (_lock)
        {
            foreach (var subscription in granted)
            {
                _subscriptions[subscription.TopicFilter] = subscription;
            }
        }
    }

    public void ForgetSubscriptions(IEnumerable<string> filters)
    {
        lock (_lock)
        {
            foreach (var filter in filters)
            {
                _subscriptions.Remove(filter);
            }
        }
    }

    public List<MqttSubscription> Subscriptions()
    {
        lock (_lock)
        {
            return [.. _subscriptions.Values];
        }
    }
}
