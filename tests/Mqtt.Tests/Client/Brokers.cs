using PatientStream.Testing;

namespace PatientStream.Mqtt.Tests.Client;

/// <summary>A plain Mosquitto shared by one test class.</summary>
public sealed class PlainBroker() : MosquittoFixture(new MosquittoOptions());

/// <summary>Mosquitto that keeps sessions on disk across restarts.</summary>
public sealed class PersistentBroker() : MosquittoFixture(new MosquittoOptions { Persistence = true });

/// <summary>Mosquitto with users and an ACL on the plain listener: "device" may write only below its own topic.</summary>
public sealed class AclBroker() : MosquittoFixture(new MosquittoOptions
{
    Users = new Dictionary<string, string> { ["dev-1"] = "dev-1-secret", ["edge"] = "edge-secret" },
    Acl = """
        user edge
        topic readwrite #
        pattern readwrite ps/v1/devices/%u/#
        """,
});

/// <summary>Fails a test whose broker logged that one of our clients broke the protocol (Mosquitto's own judgement).</summary>
internal static class BrokerLog
{
    private static readonly string[] Complaints = ["protocol error", "malformed packet", "bad packet", "out of memory"];

    public static void AssertNoProtocolComplaints(MosquittoFixture broker)
    {
        var complaints = broker.Log.Split('\n')
            .Where(line => Complaints.Any(c => line.Contains(c, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        Assert.True(complaints.Count == 0, "Mosquitto complained:\n" + string.Join('\n', complaints));
    }
}
