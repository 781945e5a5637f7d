"""Video files through PyAV (FFmpeg): exact container timestamps, so variable frame rate is right.

Why PyAV rather than ``cv2.VideoCapture`` for files: OpenCV reports a nominal frame rate and
synthesises timestamps from it, which is wrong for VFR phone clips and GIFs; PyAV gives each
frame's real ``pts``. Pixels are converted by FFmpeg's swscale straight to ``bgr24`` (any pixel
format, 10-bit included), then rotated upright from the display matrix (see ``convert``).

Error policy:

* The file is opened as ``file:/absolute/path`` so FFmpeg never takes ``a:b.mp4`` for protocol ``a``.
* Opening fails fast with ``SourceOpenError``: missing file, empty file, not a container ("not a
  video"), a damaged/truncated container ("unreadable container", e.g. an MP4 cut before its
  trailing ``moov`` index), no video stream, or no decodable first frame.
* End of stream is never an error, even when the container announced more frames than it holds
  (``asl_again.mkv`` says 78 and has 77).
* An FFmpeg error while demuxing/decoding mid-file raises ``DecodeError`` naming the file and the
  frame index reached; the frames before it have already been delivered.
* A file cut short (an interrupted download or copy) also raises ``DecodeError``, after its
  decodable frames. FFmpeg reports a short read as a plain end of file, so ``_check_complete``
  looks for the evidence once the demuxer is done: fewer frames than the container's own frame
  count (MP4/MOV, AVI, GIF index), a final packet flagged corrupt, or an MPEG-TS file whose size is
  not a whole number of TS packets. A small shortfall is tolerated (``_missing_frames_allowed``):
  containers over-report by a frame or two. Limitation: an MPEG-TS or Matroska file cut exactly at a
  packet boundary carries no evidence of the cut and ends cleanly (it is a valid, shorter file).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import av
import numpy as np

from streampipe.errors import DecodeError, SourceOpenError
from streampipe.video._paths import ffmpeg_local_path
from streampipe.video.convert import rotate_ccw
from streampipe.video.source import Source, SourceInfo

# Leading bytes of containers we recognise, to tell "damaged video" from "not a video at all".
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"RIFF", b"GIF8", b"\x47", b"\x00\x00\x01\xba", b"FLV")


# MPEG-TS packet sizes: plain (188), M2TS/Blu-ray with timecode (192), with Reed-Solomon FEC (204).
_TS_PACKET_SIZES = (188, 192, 204)


def _missing_frames_allowed(announced: int) -> int:
    """Frames a complete file may lack against its container's count (``asl_again.mkv``-style
    over-reporting, B-frame/edit-list rounding): 2, or 1% of long files."""
    return max(2, announced // 100)


def _looks_like_video(head: bytes) -> bool:
    return head[4:8] in (b"ftyp", b"mdat", b"moov", b"free", b"wide") or head.startswith(_VIDEO_MAGIC)


def _open_error(path: str, exc: Exception) -> SourceOpenError:
    if isinstance(exc, av.error.FileNotFoundError):
        return SourceOpenError(f"{path}: no such file")
    if isinstance(exc, av.error.PermissionError):
        return SourceOpenError(f"{path}: permission denied")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except OSError as e:
        return SourceOpenError(f"{path}: cannot read ({e.strerror})")
    first_line = getattr(exc, "strerror", None) or type(exc).__name__
    if _looks_like_video(head):
        return SourceOpenError(f"{path}: unreadable container (truncated or damaged: {first_line})")
    return SourceOpenError(f"{path}: not a video (cannot open container)")


class FileSource(Source):
    """Frames of one video file, decoded in the caller's thread (local reads do not hang)."""

    def __init__(self, path: str, *, live: bool | None = None, realtime: bool = False) -> None:
        self._container: av.container.InputContainer | None = None
        self._path = path
        self._decoded = 0
        self._last_pts: float | None = None
        if not os.path.exists(path):
            raise SourceOpenError(f"{path}: no such file")
        if os.path.isfile(path) and os.path.getsize(path) == 0:
            raise SourceOpenError(f"{path}: empty file (0 bytes)")
        try:
            self._container = av.open(ffmpeg_local_path(path), mode="r")
        except (av.error.FFmpegError, OSError) as e:
            raise _open_error(path, e) from None
        try:
            info, first = self._probe(path, live)
        except BaseException:
            self._container.close()
            raise
        super().__init__(info, realtime=realtime)
        self._pending: tuple[np.ndarray, float | None] | None = first

    def _probe(self, path: str, live: bool | None) -> tuple[SourceInfo, tuple[np.ndarray, float | None]]:
        assert self._container is not None
        if not self._container.streams.video:
            raise SourceOpenError(f"{path}: not a video (no video stream)")
        stream = self._container.streams.video[0]
        stream.thread_type = "AUTO"  # frame+slice threads; FFmpeg releases the GIL while decoding
        self._frames: Iterator[av.VideoFrame] = self._decode(stream)
        try:
            vf = next(self._frames)
        except StopIteration:
            raise SourceOpenError(f"{path}: no decodable video frame") from None
        except DecodeError as e:
            raise SourceOpenError(f"{path}: unreadable container ({e.__cause__ or e})") from None
        first = self._convert(vf)
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else None
        expected = stream.frames or None
        if expected is None and fps and self._container.duration:
            expected = round(self._container.duration / av.time_base * fps)
        h, w = first[0].shape[:2]
        info = SourceInfo(
            uri=path,
            width=w,
            height=h,
            fps=fps,
            frames_expected=expected,
            is_live=bool(live),
            kind="file",
        )
        return info, first

    def _decode(self, stream: av.video.stream.VideoStream) -> Iterator[av.VideoFrame]:
        """Demux+decode, turning FFmpeg errors into ``DecodeError`` (the flush packet at EOF
        drains the decoder, so the last frames of B-frame streams are not lost)."""
        assert self._container is not None
        yielded = 0
        last_corrupt = False
        try:
            for packet in self._container.demux(stream):
                if packet.size:
                    last_corrupt = packet.is_corrupt
                for vf in packet.decode():
                    yielded += 1
                    yield vf
        except (av.error.FFmpegError, ValueError) as e:
            if not isinstance(e, av.error.EOFError):
                raise DecodeError(f"{self._path}: decode error after {self._decoded} frames: {e}") from e
        self._check_complete(stream, yielded, last_corrupt)

    def _check_complete(self, stream: av.video.stream.VideoStream, decoded: int, last_corrupt: bool) -> None:
        """Raise ``DecodeError`` when a clean-looking end of file is really a truncated file.

        Why here: FFmpeg turns a short read into EOF (and drops a partial final packet), so without
        this check a download cut at 60% would "succeed" with 60% of the video and exit 0.
        """
        assert self._container is not None
        announced = stream.frames or 0
        problem = None
        if announced and announced - decoded > _missing_frames_allowed(announced):
            problem = f"the container announces {announced} frames"
        elif not announced and (short := self._short_of_duration(stream)) is not None:
            problem = short
        elif last_corrupt:
            problem = "its last packet is incomplete"
        elif "mpegts" in self._container.format.name:
            size = os.path.getsize(self._path)
            if all(size % n for n in _TS_PACKET_SIZES):
                problem = "it ends in the middle of an MPEG-TS packet"
        if problem:
            raise DecodeError(f"{self._path}: truncated file: decoded {decoded} frames but {problem}")

    def _short_of_duration(self, stream: av.video.stream.VideoStream) -> str | None:
        """For containers that announce a duration but no frame count (Matroska, WebM): did
        decoding stop well before the announced end? Tolerance: 2 frames or 1 % of the duration."""
        assert self._container is not None
        rate = stream.average_rate or stream.guessed_rate
        if not rate or self._last_pts is None or not self._container.duration:
            return None
        start = float(self._container.start_time or 0) / av.time_base
        end = start + self._container.duration / av.time_base
        reached = self._last_pts + 1 / float(rate)
        if end - reached > max(2 / float(rate), 0.01 * (end - start)):
            return f"the container announces {end - start:.2f} s and decoding stopped at {reached - start:.2f} s"
        return None

    def _convert(self, vf: av.VideoFrame) -> tuple[np.ndarray, float | None]:
        self._decoded += 1
        image = vf.to_ndarray(format="bgr24")
        if vf.rotation:
            image = rotate_ccw(image, vf.rotation)
        pts = float(vf.pts * vf.time_base) if vf.pts is not None and vf.time_base else None
        if pts is not None:
            self._last_pts = pts
        return np.ascontiguousarray(image), pts

    def _read(self) -> tuple[np.ndarray, float | None] | None:
        if self._pending is not None:
            item, self._pending = self._pending, None
            return item
        if self._container is None:
            return None
        vf = next(self._frames, None)
        return None if vf is None else self._convert(vf)

    def _release(self) -> None:
        if self._container is not None:
            frames = getattr(self, "_frames", None)
            if frames is not None:
                frames.close()
            self._container.close()
            self._container = None
