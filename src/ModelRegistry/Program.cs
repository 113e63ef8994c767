var builder = WebApplication.CreateBuilder(args);
builder.Services.AddOpenApi();
builder.Services.AddHealthChecks();

var app = builder.Build();
app.MapOpenApi();
app.MapHealthChecks("/health/live");
app.Run();

public partial class Program;
