using System.Buffers;
using BenchmarkDotNet.Attributes;
using Marten;
using ModelRegistry.Catalog;
using ModelRegistry.Common;

namespace ModelRegistry.Benchmarks.Micro;

/// <summary>
/// The per-event CPU cost of Marten's serializer as the application configures it (<see cref="RegistryStore.Configure"/>: snake_case,
/// enums as strings), which every append and every replayed event pays: <c>scripts/bench.sh micro --filter '*EventSerializer*'</c>.
/// </summary>
[MemoryDiagnoser]
public class EventSerializerBenchmarks
{
    private readonly VersionRegistered _event = BenchEvents.VersionRegistered("TheBloke/TinyLlama-1.1B-Chat-v1.0", 3);
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private ISerializer _serializer = null!;
    private byte[] _json = [];

    [GlobalSetup]
    public void Setup()
    {
        var options = new StoreOptions();
        RegistryStore.Configure(options, "Host=localhost", CatalogStream.Map);
        _serializer = options.Serializer();
        _json = System.Text.Encoding.UTF8.GetBytes(_serializer.ToJson(_event));
    }

    /// <summary>What Marten writes into an append's parameter.</summary>
    [Benchmark(Baseline = true)]
    public int Write()
    {
        _buffer.ResetWrittenCount();
        _serializer.WriteTo(_buffer, _event);
        return _buffer.WrittenCount;
    }

    [Benchmark]
    public string ToJson() => _serializer.ToJson(_event);

    /// <summary>What a replay reads back per event.</summary>
    [Benchmark]
    public object Read() => _serializer.FromJson(typeof(VersionRegistered), new MemoryStream(_json, writable: false));
}
