# R forecast's HoltWinters, ets and stlf on the splits bench/forecast_vs_r.py
# writes.  usage: Rscript forecast_vs_r.R MANIFEST OUT SHARD NSHARDS
#
# MANIFEST is CSV id,path,m,h; each path a CSV with one column `value`
# (the training window; NaN is missing).  Writes OUT as CSV
# id,model,h,mean,hi95,secs,note: h rows per fitted model, or one row
# with h = 0 and the error in note when the model failed.  hi95 is the
# upper end of the 90% two-sided interval, i.e. the q0.95 forecast.
#
# Choices, the same for every split:
# - Missing values are filled by forecast::na.interp (HoltWinters, ets and
#   stl refuse NA); prewarm gets them as missing.
# - HoltWinters: additive trend and season, R's defaults (any m).
# - ets: automatic choice (AICc) over R's defaults.  ets refuses seasons
#   longer than 24 and fits a non-seasonal model instead (its warning is
#   kept in note); we leave it so rather than invent a cap.
# - stlf: STL decomposition + ets on the seasonally adjusted series,
#   R's defaults; handles any m.
suppressPackageStartupMessages(library(forecast))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 4)
  stop("usage: forecast_vs_r.R MANIFEST OUT SHARD NSHARDS")
man <- read.csv(args[1], stringsAsFactors = FALSE)
shard <- as.integer(args[3])
nshards <- as.integer(args[4])
out <- file(args[2], "w")
writeLines("id,model,h,mean,hi95,secs,note", out)

clean <- function(s) gsub("[,\"\r\n]+", " ", s)

models <- list(
  HoltWinters = function(y, h) forecast(HoltWinters(y), h = h, level = 90),
  ets = function(y, h) forecast(ets(y), h = h, level = 90),
  stlf = function(y, h) stlf(y, h = h, level = 90)
)

for (i in seq_len(nrow(man))) {
  if ((i - 1) %% nshards != shard)
    next
  r <- man[i, ]
  x <- read.csv(r$path)$value
  y <- ts(x, frequency = r$m)
  if (anyNA(y))
    y <- na.interp(y)
  for (nm in names(models)) {
    note <- ""
    t0 <- proc.time()[["elapsed"]]
    f <- tryCatch(
      withCallingHandlers(models[[nm]](y, r$h),
        warning = function(w) {
          note <<- clean(conditionMessage(w))
          invokeRestart("muffleWarning")
        }),
      error = function(e) e)
    secs <- proc.time()[["elapsed"]] - t0
    if (inherits(f, "error")) {
      writeLines(sprintf("%d,%s,0,NA,NA,%.3f,%s", r$id, nm, secs,
                         clean(conditionMessage(f))), out)
      next
    }
    mu <- as.numeric(f$mean)
    hi <- as.numeric(f$upper[, 1])
    for (k in seq_len(r$h))
      writeLines(sprintf("%d,%s,%d,%.10g,%.10g,%.3f,%s", r$id, nm, k,
                         mu[k], hi[k], secs, note), out)
  }
}
close(out)
