using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Confluent.Kafka;

namespace PatientStream.Kafka;

/// <summary>
/// Points Confluent.Kafka 1.9.3 at Debian's librdkafka1. The managed layer imports "librdkafka" and "libdl";
/// Debian ships only the versioned names (librdkafka.so.1, libdl.so.2), so the imports are resolved here once,
/// before any client is built.
/// </summary>
internal static class KafkaNative
{
    [ModuleInitializer]
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Usage", "CA2255", Justification = "The resolver must be set before Confluent.Kafka loads its native library, whoever touches it first.")]
    internal static void Initialize() =>
        NativeLibrary.SetDllImportResolver(typeof(Library).Assembly, Resolve);

    private static IntPtr Resolve(string name, System.Reflection.Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name == "libdl")
        {
            return NativeLibrary.TryLoad("libdl.so.2", out var handle) ? handle : IntPtr.Zero;
        }
        if (name.StartsWith("librdkafka", StringComparison.Ordinal))
        {
            return NativeLibrary.TryLoad("librdkafka.so.1", out var handle) ? handle : IntPtr.Zero;
        }
        return IntPtr.Zero;
    }

    /// <summary>The librdkafka version string, loading the library if needed; throws a clear error if it is missing.</summary>
    public static string Version()
    {
        try
        {
            return Library.VersionString;
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException("librdkafka is not installed. Install it with: apt-get install -y librdkafka1", e);
        }
    }
}
