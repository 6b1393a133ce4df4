// Recording a voice memo into the device's media store (media-store.js), shared by the
// recorder (/record, recorder.js) and gentle capture's voice slot (capture.js). A classic
// script: pages load it with <script defer>, before their modules run.
// Each piece goes to IndexedDB as it arrives (MediaRecorder's timeslice), so closing the app,
// a crash or a dead battery loses at most those few seconds.
(function (scope) {
  "use strict";
  const TIMESLICE_MS = 3000;
  // What the browser records best: MP4 (Safari, Chrome 126+), else Opus in WebM (Firefox).
  const TYPES = ["audio/mp4", "audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus"];

  function clock(ms) {
    const seconds = Math.floor(ms / 1000);
    return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  }

  /** A sentence for the person about why the microphone could not be used. */
  function microphoneProblem(error) {
    if (error && (error.name === "NotAllowedError" || error.name === "SecurityError")) {
      return "Tend may not use the microphone. You can allow it for this site in your browser’s settings, then try again.";
    }
    if (error && (error.name === "NotFoundError" || error.name === "OverconstrainedError")) {
      return "No microphone was found on this device. Connecting one, or using your phone, works too.";
    }
    if (error && error.name === "NotReadableError") {
      return "The microphone is busy with another app. Closing that app and trying again usually helps.";
    }
    return "Recording is not possible in this browser just now.";
  }

  class RecordingProblem extends Error {}

  /**
   * Start recording a memo for ``account``. ``fields`` go on the stored item (entry_id,
   * prompt, capture…). ``onTick({level, ms})`` runs on every frame while recording;
   * ``onLimit()`` when the memo reached ``maxSeconds`` (it should stop it); ``onProblem(text)``
   * when the device could not keep a piece; ``onError()`` when the browser stopped recording
   * by itself (it should stop it too, keeping what there is). Resolves to a Recording, or rejects with a
   * RecordingProblem whose message can be shown as it is.
   */
  async function startRecording({ account, fields = {}, maxSeconds = 1800, onTick, onLimit, onProblem, onError }) {
    if (!navigator.mediaDevices?.getUserMedia || !scope.MediaRecorder) {
      throw new RecordingProblem("This browser cannot record sound. A recent Safari, Chrome or Firefox can.");
    }
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia({ audio: true });
    } catch (error) {
      throw new RecordingProblem(microphoneProblem(error));
    }
    const mime = TYPES.find((type) => MediaRecorder.isTypeSupported(type)) || "";
    let recorder;
    try {
      recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : {});
    } catch {
      stream.getTracks().forEach((track) => track.stop());
      throw new RecordingProblem("Recording is not possible in this browser just now.");
    }
    const store = scope.tendMedia;
    const id = scope.tendDrafts.newId();
    await store.put({
      entry_id: null, prompt: null, ...fields,
      id, account, kind: "memo", state: "recording", mime: recorder.mimeType || mime,
      size: 0, pieces: 0, duration_ms: 0, created_at: new Date().toISOString(),
    });
    return new Recording({ id, recorder, stream, maxSeconds, onTick, onLimit, onProblem, onError });
  }

  class Recording {
    constructor({ id, recorder, stream, maxSeconds, onTick, onLimit, onProblem, onError }) {
      Object.assign(this, { id, recorder, stream, maxSeconds });
      this.onTick = onTick || (() => {});
      this.onLimit = onLimit || (() => this.stop());
      this.onProblem = onProblem || (() => {});
      this.onError = onError || (() => this.stop());
      this.seq = 0;
      this.before = 0;
      this.startedAt = performance.now();
      this.writing = Promise.resolve();
      this.stopping = null;
      recorder.addEventListener("dataavailable", (event) => this.keepPiece(event.data));
      recorder.addEventListener("error", () => this.onError());
      recorder.start(TIMESLICE_MS);
      this.context = this.meter();
    }

    get state() {
      return this.recorder.state;
    }

    elapsed() {
      const running = this.startedAt ? performance.now() - this.startedAt : 0;
      return this.before + running;
    }

    /** Keep each piece on the device as it arrives, in order. */
    keepPiece(blob) {
      if (!blob.size) return;
      const seq = this.seq++;
      const duration = Math.round(this.elapsed());
      this.writing = this.writing.then(() =>
        scope.tendMedia.addPiece(this.id, seq, blob, { duration_ms: duration })
      ).catch(() => this.onProblem("This device could not keep the recording. Is its storage full?"));
    }

    meter() {
      try {
        const context = new AudioContext();
        const analyser = context.createAnalyser();
        analyser.fftSize = 1024;
        context.createMediaStreamSource(this.stream).connect(analyser);
        const samples = new Float32Array(analyser.fftSize);
        const tick = () => {
          if (this.stopping) return;
          analyser.getFloatTimeDomainData(samples);
          let sum = 0;
          for (const value of samples) sum += value * value;
          const ms = this.elapsed();
          this.onTick({ level: Math.min(1, Math.sqrt(sum / samples.length) * 4), ms });
          if (ms >= this.maxSeconds * 1000) {
            this.onLimit();
            return;
          }
          requestAnimationFrame(tick);
        };
        requestAnimationFrame(tick);
        return context;
      } catch {
        return null;
      }
    }

    pause() {
      if (this.recorder.state !== "recording") return;
      this.recorder.pause();
      this.before = this.elapsed();
      this.startedAt = 0;
    }

    resume() {
      if (this.recorder.state !== "paused") return;
      this.recorder.resume();
      this.startedAt = performance.now();
    }

    /** Leaving the page: what was recorded so far is on the device; take the rest too. */
    flush() {
      if (this.recorder.state !== "inactive") this.recorder.requestData();
    }

    /** Stop, keep the last piece, release the microphone. Resolves to the stored item. */
    stop() {
      if (this.stopping) return this.stopping;
      const duration = Math.round(this.elapsed());
      this.stopping = (async () => {
        if (this.recorder.state !== "inactive") {
          const stopped = new Promise((resolve) => this.recorder.addEventListener("stop", resolve, { once: true }));
          this.recorder.stop();
          await stopped;
        }
        this.stream.getTracks().forEach((track) => track.stop());
        this.context?.close().catch(() => {});
        await this.writing;
        return scope.tendMedia.update(this.id, (item) => item && { ...item, state: "stopped", duration_ms: duration });
      })();
      return this.stopping;
    }
  }

  scope.tendRecording = { startRecording, RecordingProblem, microphoneProblem, clock };
})(self);
