// Bucket lifecycle configuration: Put/Get/DeleteBucketLifecycleConfiguration.
// The grammar and AWS's validation are lifecycle/rules.h's; the bucket record
// keeps the canonical XML under the config entry "lifecycle", which the
// scanner (lifecycle/scanner.h) reads.
#include "gateway/handlers.h"
#include "lifecycle/rules.h"

namespace strata::gw {

Task<Status> GetBucketLifecycleConfiguration(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(auto bucket, co_await ctx.objects().GetBucket(ctx.bucket));
  auto it = bucket.config.find(std::string(kBucketLifecycle));
  if (it == bucket.config.end()) co_return Status(Code::kNoSuchLifecycleConfiguration);
  co_return co_await ctx.SendXml(http::status::ok, it->second);
}

Task<Status> PutBucketLifecycleConfiguration(RequestContext& ctx) {
  STRATA_CO_ASSIGN_OR_RETURN(std::string body,
                             co_await ReadSmallBody(ctx, lifecycle::kMaxConfigurationBytes));
  ObjectLayer& objects = ctx.objects();
  // A transition goes to a colder class of this topology or to a tier;
  // never "to" STANDARD, as in AWS.
  auto known = [&objects](std::string_view cls) {
    return cls != "STANDARD" && objects.KnownTransitionTarget(cls);
  };
  STRATA_CO_ASSIGN_OR_RETURN(lifecycle::Configuration config,
                             lifecycle::ParseConfiguration(body, known));
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  std::string entry(kBucketLifecycle);
  std::string rendered = lifecycle::RenderConfiguration(config);
  STRATA_CO_TRY(co_await objects.SetBucketConfig(ctx.bucket, entry, std::move(rendered)));
  auto res = ctx.Response(http::status::ok);
  // AWS announces the size below which it does not transition by default;
  // Strata transitions every size a rule selects.
  res.set("x-amz-transition-default-minimum-object-size", "varies_by_storage_class");
  res.content_length(0);
  co_return co_await ctx.ex.Send(std::move(res));
}

Task<Status> DeleteBucketLifecycleConfiguration(RequestContext& ctx) {
  STRATA_CO_TRY(co_await RequireBucket(ctx));
  std::string entry(kBucketLifecycle);
  STRATA_CO_TRY(co_await ctx.objects().SetBucketConfig(ctx.bucket, entry, std::nullopt));
  co_return co_await ctx.SendEmpty(http::status::no_content);
}

}  // namespace strata::gw
